"""python -m vllm_snapshot create|restore|inspect

  create  --pid PID --image DIR --url URL [--vllm-version V]
          the server rooted at PID (its own session, as `setsid` starts it) answers one greedy
          completion; its GPU processes are checkpointed by the driver; CRIU dumps the tree
          into DIR and ends it. Refused, before anything is written, when DIR lacks the room.
  restore --image DIR [--url URL] [--timeout S] [--vllm-version V]
          refused when this host's GPU, driver or vLLM differs from the image's; CRIU restores
          the tree, the driver puts its device memory back, the same greedy completion must
          repeat the image's text. Then it stays in the foreground: SIGTERM or SIGINT stop the
          restored server, and if this process dies, a watcher it started stops it.
  inspect --image DIR
Each step prints one JSON line on stdout. Exit 0 done, 1 failed, 2 refused or bad input."""
import argparse, json, os, shutil, signal, sys, time

from . import criu, frozen, image, proctree, server
from .driver import CheckpointDriver, DriverError

# Room kept free beyond the estimate: CRIU's own files, and memory that grows while dumping.
HEADROOM = 1.10


def emit(**kw):
    print(json.dumps(kw, sort_keys=True), flush=True)


def fail(msg, code=1):
    print(f"vllm-snapshot: error: {msg}", file=sys.stderr, flush=True)
    return code


def session_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[3])


def session_members(sid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if session_of(int(entry)) == sid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def create(a):
    if not proctree.alive(a.pid):
        return fail(f"no process {a.pid}", 2)
    sid = session_of(a.pid)
    if sid != a.pid:
        return fail(f"process {a.pid} is not a session leader (its session is {sid}): start the server with setsid, "
                    "so that the image holds the server and nothing of the shell that started it", 2)
    os.makedirs(a.image, exist_ok=True)
    if any(os.scandir(a.image)):
        return fail(f"{a.image} is not empty: an image folder holds one image", 2)
    try:
        host = image.host_facts(a.vllm_version)
        model = server.model_name(a.url)
        reference = server.greedy(a.url, model)
    except (image.ImageError, OSError, ValueError) as e:
        return fail(str(e))
    pids = proctree.tree(a.pid)
    try:
        outputs = output_files(pids)
    except ValueError as e:
        return fail(str(e), 2)
    cuda = [p for p in pids if proctree.holds_gpu(p)]
    host_bytes = sum(proctree.anon_bytes(p) for p in pids)
    gpu_bytes = gpu_memory(cuda)
    need = int((host_bytes + gpu_bytes) * HEADROOM)
    st = os.statvfs(a.image)
    free = st.f_bavail * st.f_frsize
    if need > free:
        return fail(f"{a.image} has {image.gib(free)} free; the image needs about {image.gib(need)} "
                    f"(host memory {image.gib(host_bytes)} + GPU memory {image.gib(gpu_bytes)}, +10 %): nothing was written", 2)
    emit(step="plan", pids=pids, cuda_pids=cuda, host_bytes=host_bytes, gpu_bytes=gpu_bytes, free_bytes=free)
    checkpoint_s, done = 0.0, []
    try:
        driver = CheckpointDriver() if cuda else None
        for p in cuda:
            checkpoint_s += driver.checkpoint(p)
            done.append(p)
        remap_folders = proctree.deleted_file_folders(pids)
        before = {d: set(os.listdir(d)) for d in remap_folders if os.path.isdir(d)}
        dump_s = criu.run(["dump", "-t", str(a.pid)] + CRIU_OPTIONS + ["--link-remap"], a.image, "dump.log", a.timeout)
    except (DriverError, criu.CriuError) as e:
        for p in done:  # the server goes on as it was
            try:
                driver.restore(p)
            except DriverError as again:
                print(f"vllm-snapshot: could not give pid {p} its GPU memory back: {again}", file=sys.stderr)
        return fail(str(e))
    remaps = keep_link_remaps(a.image, before)
    meta = dict(host, format=image.FORMAT, link_remaps=remaps, root_pid=a.pid, session=sid, pids=pids, cuda_pids=cuda, outputs=outputs,
                model=model)
    meta.update({
            "url": a.url, "reference": {"prompt": server.PROMPT, "max_tokens": server.MAX_TOKENS, "text": reference},
            "checkpoint_s": round(checkpoint_s, 3), "dump_s": round(dump_s, 3),
            "host_bytes": host_bytes, "gpu_bytes": gpu_bytes, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    meta["image_bytes"] = image.image_bytes(a.image)
    image.write(a.image, meta)
    emit(step="created", image=os.path.abspath(a.image), image_bytes=meta["image_bytes"],
         checkpoint_s=meta["checkpoint_s"], dump_s=meta["dump_s"])
    return 0


# Both ways: loopback TCP connections inside the tree (torch.distributed's store) are dumped and
# restored; the network is not locked with iptables, which a host may lack (the lent H200 has
# none), since the whole tree is frozen while it is dumped and nothing outside it is connected.
CRIU_OPTIONS = ["--tcp-established", "--file-locks", "--ext-unix-sk", "--network-lock", "skip"]


def keep_link_remaps(folder, before):
    """CRIU consumes each link_remap file on restore: keep a copy in the image, so that the
    image restores more than once."""
    kept = []
    os.makedirs(os.path.join(folder, "link-remap"), exist_ok=True)
    for d, names in before.items():
        for name in sorted(set(os.listdir(d)) - names):
            if name.startswith("link_remap."):
                src = os.path.join(d, name)
                shutil.copy2(src, os.path.join(folder, "link-remap", f"{len(kept)}"))
                kept.append(src)
    return kept


def put_back_link_remaps(folder, remaps):
    for i, path in enumerate(remaps):
        if not os.path.exists(path):
            shutil.copy2(os.path.join(folder, "link-remap", str(i)), path)


def output_files(pids):
    """The regular files the tree writes its output to (fds 1 and 2). A restore hands the
    restored server the restorer's stderr in their place: CRIU refuses a file whose size
    changed since the dump, and a log grows."""
    files = set()
    for pid in pids:
        for fd in (1, 2):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target == "/dev/null":
                continue
            if not target.startswith("/") or target.endswith(" (deleted)"):
                raise ValueError(f"process {pid} writes its fd {fd} to {target}: start the server with its "
                                 "output to a file (a pipe or terminal outside the tree cannot be restored)")
            files.add(target)
    return sorted(files)


def gpu_memory(pids):
    """Device memory the listed processes hold, from nvidia-smi (0 without one)."""
    if not pids:
        return 0
    import shutil, subprocess
    smi = shutil.which("nvidia-smi")
    if not smi:
        return 0
    out = subprocess.run([smi, "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                         capture_output=True, text=True, timeout=30).stdout
    total = 0
    for line in out.splitlines():
        parts = [x.strip() for x in line.split(",")]
        if len(parts) == 2 and parts[0].isdigit() and int(parts[0]) in pids and parts[1].isdigit():
            total += int(parts[1]) << 20
    return total


def start_watcher(sid):
    """A process of its own session that stops the restored server's session when our end of
    its pipe closes: when this process ends, however it ends."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(w)
            os.setsid()
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            while os.read(r, 1):
                pass
            proctree.kill_tree(session_members(sid), grace=5.0)
        finally:
            os._exit(0)
    os.close(r)
    return w, pid


def restore(a):
    try:
        meta = image.read(a.image)
        here = image.host_facts(a.vllm_version)
    except image.ImageError as e:
        return fail(str(e), 2)
    wrong = image.mismatches(meta, here)
    if wrong:
        return fail("refused: this image was made on another host:\n  " + "\n  ".join(wrong), 2)
    busy = [p for p in meta["pids"] if proctree.alive(p)]
    if busy:
        return fail(f"refused: pid(s) {', '.join(map(str, busy))} of the image are in use here "
                    "(is the server it was made from still running?): CRIU restores each process under its own pid", 2)
    # A previous restorer may be ending its tree right now: give its zombies a moment.
    deadline = time.monotonic() + 5
    while any(proctree.zombie(p) for p in meta["pids"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    unreaped = [p for p in meta["pids"] if proctree.zombie(p)]
    if unreaped:
        return fail(f"refused: pid(s) {', '.join(map(str, unreaped))} of the image are held by exited processes "
                    "that their parent has not reaped: CRIU restores each process under its own pid", 2)
    # The restored tree becomes this process's own (criu -d leaves it to the nearest subreaper),
    # so its exit is seen and reaped here.
    proctree.become_subreaper()
    url = a.url or meta.get("url")
    started = time.monotonic()
    pipe, watcher = start_watcher(meta["session"])
    stopping = {"signal": None}

    def stop(signum, _frame):
        stopping["signal"] = signum
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)

    def end(code, msg=None):
        proctree.kill_tree(session_members(meta["session"]), grace=a.stop_grace)
        # Reap the whole tree before leaving: a process orphaned while its parent was being
        # reaped comes to this subreaper a moment later, and a zombie left to an init that does
        # not reap (as on the lent H200) keeps its pid, which the next restore needs.
        deadline = time.monotonic() + 10
        while any(os.path.exists(f"/proc/{p}") and proctree.zombie(p) for p in meta["pids"]) \
                and time.monotonic() < deadline:
            proctree.reap()
            time.sleep(0.02)
        os.close(pipe)
        os.waitpid(watcher, 0)
        return fail(msg, code) if msg else code

    # The restored server writes to this process's stderr instead of its old log files.
    out_fd = os.dup(2)
    inherit = []
    for path in meta.get("outputs", []):
        inherit += ["--inherit-fd", f"fd[{out_fd}]:{path.lstrip('/')}"]
    try:
        put_back_link_remaps(a.image, meta.get("link_remaps", []))
        # Stopped: a process must not run before its device memory is back (see frozen.py).
        restore_s = criu.run(["restore", "-d", "--leave-stopped"] + CRIU_OPTIONS + inherit,
                             a.image, "restore.log", a.timeout, pass_fds=(out_fd,))
        cuda_s = 0.0
        if meta["cuda_pids"]:
            driver = CheckpointDriver()
            for p in meta["cuda_pids"]:
                tid = driver.restore_thread(p)
                cuda_s += frozen.with_only_thread_running(tid, lambda p=p: driver.restore(p), a.timeout)
        frozen.continue_tree(proctree.tree(meta["root_pid"]))
    except (criu.CriuError, DriverError, frozen.FrozenError, OSError) as e:
        return end(1, str(e))
    check_s = 0.0
    if not a.no_check:
        t = time.monotonic()
        try:
            text = server.greedy(url, meta["model"])
        except (OSError, ValueError) as e:
            return end(1, f"the restored server did not answer the greedy completion: {e}")
        check_s = time.monotonic() - t
        if text != meta["reference"]["text"]:
            return end(1, f"the restored server's greedy completion differs from the image's: "
                          f"{text[:200]!r} against {meta['reference']['text'][:200]!r}")
    emit(step="restored", criu_restore_s=round(restore_s, 3), cuda_restore_s=round(cuda_s, 3),
         check_s=round(check_s, 3), total_s=round(time.monotonic() - started, 3), pid=meta["root_pid"])
    while stopping["signal"] is None and proctree.alive(meta["root_pid"]):
        time.sleep(0.1)
    if stopping["signal"] is not None:
        return end(0)
    return end(1, f"the restored server (pid {meta['root_pid']}) exited")


def inspect(a):
    try:
        meta = image.read(a.image)
    except image.ImageError as e:
        return fail(str(e), 2)
    emit(step="inspect", **{k: meta.get(k) for k in ("gpu", "gpu_count", "driver", "vllm", "model", "pids", "cuda_pids",
                                                     "image_bytes", "checkpoint_s", "dump_s", "created")})
    return 0


def main(argv):
    p = argparse.ArgumentParser(prog="python -m vllm_snapshot", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create")
    c.add_argument("--pid", type=int, required=True)
    c.add_argument("--image", required=True)
    c.add_argument("--url", required=True)
    c.add_argument("--vllm-version")
    c.add_argument("--timeout", type=float, default=600)
    r = sub.add_parser("restore")
    r.add_argument("--image", required=True)
    r.add_argument("--url")
    r.add_argument("--vllm-version")
    r.add_argument("--timeout", type=float, default=600)
    r.add_argument("--stop-grace", type=float, default=10)
    r.add_argument("--no-check", action="store_true", help="skip the greedy completion's comparison")
    i = sub.add_parser("inspect")
    i.add_argument("--image", required=True)
    a = p.parse_args(argv)
    return {"create": create, "restore": restore, "inspect": inspect}[a.cmd](a)

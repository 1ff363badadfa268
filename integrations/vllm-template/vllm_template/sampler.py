"""Where a forked start spends its time, between the lines vLLM logs.

`VLLM_TEMPLATE_STACKS=DIR` in a server's environment makes its fork (and every process it forks
later, such as vLLM's engine core) sample its threads' Python stacks every few milliseconds into
DIR/stacks-PID.txt. `python -m vllm_template.sampler report DIR` prints, for each 100 ms of a
process's main thread, the frames it was in: the anatomy's "unexplained" remainder, named.

A sample is one line: wall time, thread id, frames outermost first (`function@file:line`). Lines
are written with os.write as they are taken, so a server killed mid-start still leaves them.
"""
import collections
import os
import stat
import sys
import threading
import time

INTERVAL_S = 0.005
MAX_FRAMES = 48
# A report reads at most this much of one file (a 5 ms sampler writes ~1 MB per process per 3 s
# start); the samples kept in memory are a few times the text.
MAX_REPORT_BYTES = 64 << 20
_registered = False


class Refused(Exception):
    """A folder or file the sampler will not use; the text says why."""


def _visible(text):
    """Frames and argv come from the sampled program: control characters shown, never sent raw."""
    return "".join(c if c.isprintable() else f"<U+{ord(c):04X}>" for c in text)


def _stack(frame):
    out = []
    while frame is not None and len(out) < MAX_FRAMES:
        code = frame.f_code
        out.append(f"{code.co_name}@{os.path.basename(code.co_filename)}:{frame.f_lineno}")
        frame = frame.f_back
    return ";".join(reversed(out))


def start(folder, interval=INTERVAL_S):
    """Starts sampling this process (and, through an at-fork hook, its later forks)."""
    global _registered
    folder = os.path.abspath(folder)  # a fork that changes folder later still writes here
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if not stat.S_ISDIR(os.stat(folder).st_mode):
        raise Refused(f"{folder} is not a folder")
    # A new file of our own only: never through a link, never into a file someone left there.
    path = os.path.join(folder, f"stacks-{os.getpid()}.txt")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise Refused(f"{path} exists already (a link or an earlier process's file): not written over") from None
    main = threading.main_thread().ident
    os.write(fd, f"# pid {os.getpid()} main {main} argv {_visible(' '.join(sys.argv))[:300]}\n".encode())

    def loop():
        me = threading.get_ident()
        while True:
            now = time.time()
            lines = [f"{now:.4f} {tid} {_stack(frame)}\n" for tid, frame in sys._current_frames().items() if tid != me]
            try:
                os.write(fd, "".join(lines).encode())
            except OSError:
                return
            time.sleep(interval)

    threading.Thread(target=loop, name="vllm-template-sampler", daemon=True).start()
    if not _registered:  # hooks are inherited by forks: registering again would start two
        _registered = True
        os.register_at_fork(after_in_child=lambda: _start_in_fork(folder, interval))


def _start_in_fork(folder, interval):
    try:
        start(folder, interval)
    except (OSError, Refused) as e:
        print(f"vllm-template: no stack samples in process {os.getpid()}: {e}", file=sys.stderr, flush=True)


def read(path):
    """(main thread id, [(time, frames)]) of one process's file, main thread only. Lines that are
    not samples (cut off by a kill, or not ours) are skipped; only a regular file is read."""
    main, samples = None, []
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, encoding="utf-8", errors="replace") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise Refused(f"{path} is not a regular file")
        taken = 0
        for line in f:
            taken += len(line)
            if taken > MAX_REPORT_BYTES:
                break  # the first 64 MiB of a start are more than its timeline needs
            if line.startswith("# pid"):
                head = line.split()
                if len(head) > 4 and head[3] == "main":
                    main = head[4]
                continue
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) != 3 or parts[1] != main:
                continue
            try:
                t = float(parts[0])
            except ValueError:
                continue
            if t == t and 0 < t < 1e11:  # NaN and impossible times are not samples
                samples.append((t, [_visible(x) for x in parts[2].split(";")]))
    return main, samples


def label(frames, depth=3):
    """The innermost frames worth reading: vLLM's or our plugins' first, then what they called."""
    own = [i for i, f in enumerate(frames) if not f.partition("@")[2].startswith(("threading.py", "<frozen"))]
    inner = frames[own[-1]] if own else frames[-1]
    ours = [f for f in frames if any(k in f for k in ("gpu_worker", "model_runner", "core.py", "api_server", "loader", "kv_cache", "cuda_graph", "parallel_state", "llm_engine", "async_llm", "gpu_model_runner", "engine"))]
    head = ours[-depth:] if ours else []
    return " > ".join(head + ([inner] if inner not in head else []))


def report(folder, bucket=0.1, out=sys.stdout):
    if not (bucket > 0):
        raise Refused(f"bucket {bucket!r}: expected seconds above 0")
    if not os.path.isdir(folder):
        raise Refused(f"{folder}: no such folder (expected the VLLM_TEMPLATE_STACKS folder)")
    names = sorted(n for n in os.listdir(folder) if n.startswith("stacks-") and n.endswith(".txt"))
    if not names:
        out.write(f"{folder}: no stacks-PID.txt files\n")
    for name in names:
        path = os.path.join(folder, name)
        try:
            _, samples = read(path)
        except (OSError, Refused) as e:
            out.write(f"\n## {name}: not read ({e})\n")
            continue
        if len(samples) < 10:
            out.write(f"\n## {name}: {len(samples)} samples of the main thread, too few for a timeline\n")
            continue
        t0 = samples[0][0]
        out.write(f"\n## {name}: {len(samples)} samples of the main thread, {samples[-1][0] - t0:.2f} s\n")
        by_bucket = collections.defaultdict(collections.Counter)
        for t, frames in samples:
            by_bucket[int((t - t0) / bucket)][label(frames)] += 1
        last = None
        for b in sorted(by_bucket):
            top, n = by_bucket[b].most_common(1)[0]
            share = n / sum(by_bucket[b].values())
            text = top if top != last else "  ″"
            ms = int(round((t0 + b * bucket) * 1000))
            out.write(f"{time.strftime('%H:%M:%S', time.gmtime(ms // 1000))}.{ms % 1000:03d} "
                      f"+{b * bucket:5.1f}s {share:4.0%} {text}\n")
            last = top


def main(argv):
    if len(argv) not in (2, 3) or argv[0] != "report":
        print("usage: python -m vllm_template.sampler report DIR [BUCKET_S]", file=sys.stderr)
        return 2
    try:
        bucket = float(argv[2]) if len(argv) > 2 else 0.1
    except ValueError:
        print(f"sampler: bucket {argv[2]!r}: expected seconds such as 0.1", file=sys.stderr)
        return 2
    try:
        report(argv[1], bucket)
    except Refused as e:
        print(f"sampler: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

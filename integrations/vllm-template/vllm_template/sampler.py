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
import sys
import threading
import time

INTERVAL_S = 0.005
MAX_FRAMES = 48
_registered = False


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
    os.makedirs(folder, exist_ok=True)
    fd = os.open(os.path.join(folder, f"stacks-{os.getpid()}.txt"), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    main = threading.main_thread().ident
    os.write(fd, f"# pid {os.getpid()} main {main} argv {' '.join(sys.argv)[:300]}\n".encode())

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
        os.register_at_fork(after_in_child=lambda: start(folder, interval))


def read(path):
    """(main thread id, [(time, frames)]) of one process's file, main thread only."""
    main, samples = None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("# pid"):
                main = line.split()[4]
                continue
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) == 3 and parts[1] == main:
                samples.append((float(parts[0]), parts[2].split(";")))
    return main, samples


def label(frames, depth=3):
    """The innermost frames worth reading: vLLM's or our plugins' first, then what they called."""
    own = [i for i, f in enumerate(frames) if not f.split("@")[1].startswith(("threading.py", "<frozen"))]
    inner = frames[own[-1]] if own else frames[-1]
    ours = [f for f in frames if any(k in f for k in ("gpu_worker", "model_runner", "core.py", "api_server", "loader", "kv_cache", "cuda_graph", "parallel_state", "llm_engine", "async_llm", "gpu_model_runner", "engine"))]
    head = ours[-depth:] if ours else []
    return " > ".join(head + ([inner] if inner not in head else []))


def report(folder, bucket=0.1, out=sys.stdout):
    for name in sorted(os.listdir(folder)):
        if not name.startswith("stacks-"):
            continue
        _, samples = read(os.path.join(folder, name))
        if len(samples) < 10:
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
            out.write(f"{time.strftime('%H:%M:%S', time.gmtime(t0 + b * bucket))}.{int(((t0 + b * bucket) % 1) * 1000):03d} "
                      f"+{b * bucket:5.1f}s {share:4.0%} {text}\n")
            last = top


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "report":
        report(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 0.1)
    else:
        print("usage: python -m vllm_template.sampler report DIR [BUCKET_S]", file=sys.stderr)
        sys.exit(2)

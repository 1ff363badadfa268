"""CRIU as a command: which one, and one bounded run of it."""
import os, shlex, shutil, subprocess, time


class CriuError(Exception):
    pass


def command():
    """SLLM_CRIU (a command line, e.g. a wrapper that runs a carried CRIU), else criu on PATH."""
    given = os.environ.get("SLLM_CRIU", "").strip()
    if given:
        return shlex.split(given)
    found = shutil.which("criu")
    if not found:
        raise CriuError("no criu on PATH and SLLM_CRIU is not set: install CRIU 4.0 or later")
    return [found]


def log_tail(path, lines=15, width=240):
    try:
        with open(path, errors="replace") as f:
            tail = f.read()[-64 * 1024:].splitlines()[-lines:]
    except OSError:
        return "(no log)"
    return "\n".join("    " + line[:width] for line in tail)


def run(args, folder, log_name, timeout, pass_fds=()):
    """Seconds the run took; a failure names the exit status and the log's last lines."""
    argv = command() + args + ["-D", folder, "-o", log_name]
    started = time.monotonic()
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                              pass_fds=pass_fds)
    except subprocess.TimeoutExpired:
        raise CriuError(f"criu {args[0]} did not finish in {timeout:.0f} s; its log:\n" + log_tail(os.path.join(folder, log_name)))
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise CriuError(f"criu {args[0]} exited {proc.returncode}; its log:\n" + log_tail(os.path.join(folder, log_name))
                        + (f"\n    {proc.stderr.strip()[-400:]}" if proc.stderr.strip() else ""))
    return seconds

"""Giving a restored process its device memory back while it cannot run.

CRIU restores the tree stopped (`--leave-stopped`). A process whose CUDA state is still
checkpointed must not run: on the lent H200, a vLLM engine core resumed before its restore
polled a CUDA event and died (SIGSEGV in cuEventQuery). The driver does the restore on a
thread of its own inside the target (cuCheckpointProcessGetRestoreThreadId), so that one
thread alone is let run, through ptrace, while the others stay stopped; then every process
of the tree is continued."""
import ctypes, os, signal, threading, time

PTRACE_CONT, PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 7, 17, 0x4206, 0x4207
WALL = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long


class FrozenError(Exception):
    pass


def _ptrace(request, tid, data=0):
    if _libc.ptrace(request, tid, None, ctypes.c_void_p(data)) == -1:
        err = ctypes.get_errno()
        raise FrozenError(f"ptrace({request:#x}, {tid}): {os.strerror(err)}")


def _stop(tid):
    _ptrace(PTRACE_INTERRUPT, tid)
    os.waitpid(tid, WALL)


def _run(tid):
    """Restart a seized thread; a stopped process's pending group-stop is reported to the
    tracer as a further stop, which is restarted too until the thread stays running."""
    _ptrace(PTRACE_CONT, tid)
    for _ in range(20):
        time.sleep(0.005)
        waited, _status = os.waitpid(tid, os.WNOHANG | WALL)
        if waited == 0:
            return
        _ptrace(PTRACE_CONT, tid)
    raise FrozenError(f"thread {tid} keeps stopping")


def with_only_thread_running(tid, work, timeout):
    """Run `work()` while thread `tid` (of a stopped process) runs and its siblings stay
    stopped; `work` may take at most `timeout` seconds."""
    _ptrace(PTRACE_SEIZE, tid)
    try:
        _stop(tid)
        _run(tid)
        result, failure = [], []

        def call():
            try:
                result.append(work())
            except Exception as e:  # handed to the caller below
                failure.append(e)
        worker = threading.Thread(target=call, daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise FrozenError(f"the driver's restore did not finish in {timeout:.0f} s")
        if failure:
            raise failure[0]
        _stop(tid)
        return result[0]
    finally:
        try:
            _ptrace(PTRACE_DETACH, tid)
        except FrozenError:
            pass


def continue_tree(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGCONT)
        except OSError:
            pass

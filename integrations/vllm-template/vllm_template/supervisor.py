"""The supervisor: one small process per server, between the template and the server's tree.

The template forks the supervisor; the supervisor forks the server (its own session and process
group) and becomes the subreaper of everything the server starts. It holds one end of a socket
pair whose other end only the template holds. That end closes when the template closes it (the
server's client went away, a restart, a stop) or when the template dies, SIGKILL included: the
kernel closes a dead process's descriptors, so no poll and no live template is needed. Then,
or when the server exits on its own, the supervisor sends SIGTERM to the server's group and to
every process the kernel handed it (orphans that left the group), SIGKILL after the grace, and
exits with the server's status once the last one is reaped.

The server's pid stays unreaped (a zombie at worst) until the end, so its process group id cannot
be reused while the supervisor signals it; the other targets are its own unreaped children.
"""
import os
import select
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def prctl(option, value):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def children_of(pid):
    """The direct children of `pid` (this process, single-threaded), zombies included."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        pass   # a kernel without CONFIG_PROC_CHILDREN: read every process's parent
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(name))
            except (OSError, IndexError, ValueError):
                pass
    return out


def say(message):
    """A line on the client's stderr, which may be gone (EPIPE): nothing here may stop the stopping."""
    try:
        print(f"vllm-template: {message}", file=sys.stderr, flush=True)
    except Exception:
        pass


def exit_code(status):
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


class Supervisor:
    def __init__(self, link, server, grace):
        self.link = link
        self.server = server
        self.grace = grace
        self.me = os.getpid()
        self.stop_asked = False
        self.stopping_since = None
        self.escalated = False

    def on_signal(self, signum, frame):
        self.stop_asked = True   # systemd, a user: stop the tree the same way

    def others(self):
        return [p for p in children_of(self.me) if p != self.server]

    def reap_others(self):
        for pid in self.others():
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass

    def server_exited(self):
        # WNOWAIT: seen, not reaped, so its pid (and group id) stays ours to signal.
        return os.waitid(os.P_PID, self.server, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def signal_tree(self, sig):
        try:
            os.killpg(self.server, sig)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in self.others():
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def run(self):
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self.on_signal)
        while True:
            self.reap_others()
            done = self.server_exited()
            if self.stopping_since is None and (done or self.stop_asked):
                self.stopping_since = time.monotonic()
                self.signal_tree(signal.SIGTERM)
            if self.stopping_since is not None:
                if done and not self.others():
                    _, status = os.waitpid(self.server, 0)
                    return exit_code(status)
                if time.monotonic() - self.stopping_since >= self.grace:
                    if not self.escalated:
                        self.escalated = True
                        say(f"server pid {self.server}: processes left {self.grace:g} s after SIGTERM; "
                            f"sending SIGKILL")
                    # Again each round: a process whose parent was just killed comes to us next.
                    self.signal_tree(signal.SIGKILL)
            timeout = 0.05 if self.stopping_since is not None else 1.0
            try:
                ready, _, _ = select.select([self.link, wake_r], [], [], timeout)
            except InterruptedError:
                continue
            if wake_r in ready:
                try:
                    while os.read(wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            if self.link in ready:
                try:
                    data = self.link.recv(512)
                except OSError:
                    data = b""
                if not data:
                    self.stop_asked = True   # the template closed its end, or died


def start(link, fds, close, grace, run_server):
    """In the forked supervisor: fork the server, tell the template its pid, watch. Never returns."""
    code = 1
    server = None
    try:
        os.setpgid(0, 0)   # away from the template's group: only the link and our own signals stop us
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)   # until our own handlers are in place
        for fd in close:
            try:
                os.close(fd)
            except OSError:
                pass
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in set(fds):
            if fd > 2:
                os.close(fd)
        prctl(PR_SET_CHILD_SUBREAPER, 1)
        supervisor_pid = os.getpid()
        server = os.fork()
        if server == 0:
            link.close()
            run_server(supervisor_pid)   # never returns
        link.sendall(f"{server}\n".encode())
        code = Supervisor(link, server, grace).run()
    except BaseException as e:
        say(f"the server's supervisor failed: {type(e).__name__}: {e}")
        if server is not None:
            # Whatever went wrong here, the tree does not outlive its watch: the server's group now
            # (its pid is unreaped, so the group id is still its), the rest by PDEATHSIG or the template.
            try:
                os.killpg(server, signal.SIGKILL)
            except OSError:
                pass
    finally:
        os._exit(code)

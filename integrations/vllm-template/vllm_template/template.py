"""The template process: imports once, forks each server start.

Single-threaded on purpose: a fork copies only the calling thread, so a template with threads
could hand its children a lock some other thread held. The loop is a selector over the
listening socket and the clients' connections; children are reaped by polling waitpid.
"""
import importlib
import json
import os
import runpy
import selectors
import shutil
import signal
import socket
import sys
import time
import traceback

from . import protocol

STOP_GRACE_S = 10.0


class Refused(Exception):
    """A request the template will not carry out; the text says why and what to do."""


def cuda_initialised():
    """True when this process has a CUDA context (a fork would give the child a broken one).

    Asks the frameworks that are already imported; never imports one (that would cost what the
    template saves, or initialise CUDA itself).
    """
    torch = sys.modules.get("torch")
    if torch is not None:
        cuda = getattr(torch, "cuda", None)
        probe = getattr(cuda, "is_initialized", None)
        if probe is not None and probe():
            return "torch"
    return None


def threads():
    """OS threads in this process: a fork copies only the one that forks, so more than one here
    means some library started a thread at import (named in `status`, as a lead if a fork hangs)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_bytes():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class FileSnapshot:
    """The loaded files of the watched packages, with size and mtime, to tell a stale template."""

    def __init__(self, packages):
        self.packages = tuple(packages)
        self.files = {}
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] not in self.packages:
                continue
            path = getattr(module, "__file__", None)
            if not path:
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue
            self.files[path] = (st.st_size, st.st_mtime_ns)

    def changed(self, limit=5):
        """Files changed or gone since the snapshot (at most `limit`, to name them)."""
        out = []
        for path, (size, mtime) in self.files.items():
            try:
                st = os.stat(path)
                if (st.st_size, st.st_mtime_ns) != (size, mtime):
                    out.append(path)
            except OSError:
                out.append(path)
            if len(out) >= limit:
                break
        return out


def resolve_command(argv, python):
    """What the child runs: ('module', name, sys.argv) or ('path', script, sys.argv).

    The template is a Python process: it can run `python -m MODULE ...`, `python SCRIPT ...`
    or vLLM's console script (`vllm serve ...`), with the template's own Python.
    """
    if not argv:
        raise Refused("empty command")
    head = os.path.basename(argv[0])
    if head == "vllm":
        return "module", "vllm.entrypoints.cli.main", ["vllm"] + list(argv[1:])
    if not head.startswith("python"):
        raise Refused(f"the template runs Python commands (python -m MODULE, python SCRIPT, vllm); got {argv[0]!r}: "
                      f"give the command as a list starting with the Python that has vLLM")
    exe = argv[0] if os.sep in argv[0] else (shutil.which(argv[0]) or argv[0])
    if os.path.realpath(exe) != os.path.realpath(python):
        raise Refused(f"the command's Python {argv[0]} is not the template's ({python}): start the template with "
                      f"that Python, or give the command with the template's")
    i = 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "-m":
        # Interpreter switches (-u, -B, -X opt) were decided when the template started.
        i += 2 if argv[i] in ("-X", "-W") else 1
    if i < len(argv) and argv[i] == "-m":
        if i + 1 >= len(argv):
            raise Refused("python -m without a module")
        return "module", argv[i + 1], [argv[i + 1]] + list(argv[i + 2:])
    if i < len(argv):
        return "path", argv[i], list(argv[i:])
    raise Refused("python without a module or script: nothing to run")


def import_time_mismatch(template_env, request_env):
    """Variables read at import time whose value differs between the template and the request."""
    out = []
    for name in protocol.IMPORT_TIME_VARIABLES:
        if template_env.get(name) != request_env.get(name):
            out.append(f"{name}={request_env.get(name, '(unset)')} asked, the template has "
                       f"{template_env.get(name, '(unset)')}")
    return out


def run_child(argv, env, cwd, python, fds, close, parent):
    """In the forked child: become the server. Never returns."""
    code = 1
    try:
        os.setsid()  # its own session and process group: stopping it stops all it starts
        # If the template dies (killed, crashed), its servers go too: none runs on unwatched.
        die_with_parent(parent)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE, signal.SIGQUIT):
            signal.signal(sig, signal.SIG_DFL)
        for fd in close:
            try:
                os.close(fd)
            except OSError:
                pass
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        if cwd:
            os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        # What Python reads from the environment at its own start, applied by hand.
        sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
        if env.get("PYTHONUNBUFFERED"):
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.reconfigure(line_buffering=True)
                except (AttributeError, ValueError):
                    pass
        for entry in reversed([p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        kind, target, sys.argv = resolve_command(argv, python)
        if kind == "module":
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, (int, type(None))):
            print(e.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


class Template:
    def __init__(self, socket_path, preload, watch, server_argv=None, log=None):
        self.socket_path = socket_path
        self.preload = list(preload)
        self.watch = list(watch)
        self.server_argv = server_argv
        self.log = log or (lambda msg: print(f"vllm-template: {msg}", file=sys.stderr, flush=True))
        self.env = dict(os.environ)
        self.python = sys.executable
        self.started = time.time()
        self.imports = []
        self.children = {}      # pid -> {"conn": socket or None, "argv": [...], "started": t}
        self.exits = {}         # pid -> status, for children whose client is gone
        self.managed = None     # pid of the server started with --server
        self.managed_exit = None
        self.stopping = False
        self.term_deadlines = {}  # pgid -> when to SIGKILL

    # -- start-up ---------------------------------------------------------------------------

    def load(self):
        """Imports the preload list; refuses to go on when one of them initialised CUDA."""
        self.skipped = []
        for entry in self.preload:
            name, optional = entry.rstrip("?"), entry.endswith("?")
            t = time.monotonic()
            try:
                importlib.import_module(name)
            except ImportError as e:
                if not optional:
                    raise Refused(f"cannot import {name}: {e} (mark it optional with a trailing '?', or fix the path)")
                self.skipped.append(f"{name}: {e}")
                continue
            self.imports.append((name, time.monotonic() - t))
            who = cuda_initialised()
            if who:
                raise Refused(f"importing {name} initialised CUDA ({who}.cuda.is_initialized() is true): a forked "
                              f"server cannot use it. Remove {name} from --preload, or find what calls CUDA at "
                              f"import time (PYTORCH_NVML_BASED_CUDA_CHECK=1 keeps device counting off CUDA)")
        self.snapshot = FileSnapshot(self.watch)
        self.loaded_s = time.time() - self.started

    def listen(self):
        protocol.check_folder(self.socket_path)
        if os.path.exists(self.socket_path):
            protocol.check_socket_owner(self.socket_path)
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(self.socket_path)
                raise Refused(f"a template already listens on {self.socket_path}: stop it first "
                              f"(python -m vllm_template stop --socket {self.socket_path})")
            except (ConnectionRefusedError, FileNotFoundError):
                os.unlink(self.socket_path)  # left by a template that died
            finally:
                probe.close()
        old = os.umask(0o177)
        try:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(self.socket_path)
        finally:
            os.umask(old)
        os.chmod(self.socket_path, 0o600)
        self.sock.listen(16)
        self.sock.setblocking(False)

    # -- what it holds ------------------------------------------------------------------------

    def status(self):
        stale = self.snapshot.changed()
        return {
            "ok": True, "pid": os.getpid(), "python": self.python, "socket": self.socket_path,
            "started_at": self.started, "load_s": round(self.loaded_s, 3),
            "imports": [{"module": n, "s": round(s, 3)} for n, s in self.imports], "skipped": self.skipped,
            "modules": len(sys.modules), "rss_bytes": rss_bytes(), "threads": threads(),
            "watched_files": len(self.snapshot.files), "stale": stale,
            "cuda_initialised": cuda_initialised() is not None,
            "children": sorted(self.children), "managed": self.managed, "managed_exit": self.managed_exit,
            "versions": {p: getattr(sys.modules.get(p), "__version__", None) for p in self.watch if p in sys.modules},
        }

    def check_can_fork(self):
        who = cuda_initialised()
        if who:
            raise Refused(f"CUDA is initialised in the template ({who}): a forked server would get a broken context. "
                          f"Restart the template, and keep CUDA calls out of what it imports")
        stale = self.snapshot.changed()
        if stale:
            raise Refused(f"the template is stale: {stale[0]} changed on disk since it started "
                          f"({time.strftime('%H:%M:%S', time.localtime(self.started))}); its imports are the old "
                          f"code. Restart the template (python -m vllm_template stop --socket {self.socket_path}, "
                          f"then start it again; systemctl restart vllm-template)")

    # -- forking ------------------------------------------------------------------------------

    def spawn(self, argv, env, cwd, fds, conn):
        self.check_can_fork()
        resolve_command(argv, self.python)  # refuse a bad command here, not in the child
        mismatch = import_time_mismatch(self.env, env)
        if mismatch:
            raise Refused("the server's environment differs from the template's in variables read at import time: "
                          + "; ".join(mismatch) + ". Start the template with the server's environment")
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        close = [self.sock.fileno()] + [c.fileno() for c in self.connections]
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            run_child(argv, env, cwd, self.python, fds, close, parent)
        self.children[pid] = {"conn": conn, "argv": argv, "started": time.time()}
        return pid

    def start_managed(self):
        out = [0, 1, 2]
        self.managed = self.spawn(self.server_argv, dict(os.environ), os.getcwd(), out, None)
        self.managed_exit = None
        self.log(f"server started, pid {self.managed}")
        return self.managed

    def stop_group(self, pid, sig=signal.SIGTERM):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        if sig == signal.SIGTERM:
            self.term_deadlines[pid] = time.monotonic() + STOP_GRACE_S

    def stop_group_and_wait(self, pid, grace=STOP_GRACE_S):
        self.stop_group(pid)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            self.reap()
            if pid not in self.children and not group_alive(pid):
                break
            time.sleep(0.05)
        if group_alive(pid):
            self.stop_group(pid, signal.SIGKILL)
        while pid in self.children:
            self.reap()
            time.sleep(0.02)
        self.term_deadlines.pop(pid, None)

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code
            child = self.children.pop(pid, None)
            if child is None:
                continue  # an orphan of a server, handed to us as subreaper
            # The server is gone; what it started (engine processes) goes with it.
            if group_alive(pid):
                self.stop_group(pid)
            if pid == self.managed:
                self.managed_exit = code
                self.managed = None
                self.log(f"server pid {pid} exited with status {code}")
            conn = child["conn"]
            if conn is not None:
                try:
                    protocol.send(conn, {"event": "exit", "pid": pid, "status": code})
                except OSError:
                    pass

    # -- the loop -----------------------------------------------------------------------------

    @property
    def connections(self):
        return [key.fileobj for key in self.selector.get_map().values() if key.fileobj is not self.sock]

    def serve_forever(self):
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.sock, selectors.EVENT_READ)
        self.buffers = {}
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self.on_signal)
        become_subreaper()
        if self.server_argv:
            self.start_managed()
        print(f"vllm-template: ready pid={os.getpid()} socket={self.socket_path} load_s={self.loaded_s:.3f} "
              f"modules={len(sys.modules)}", flush=True)
        while not self.stopping:
            for key, _ in self.selector.select(timeout=0.1):
                if key.fileobj is self.sock:
                    self.accept()
                else:
                    self.read(key.fileobj)
            self.reap()
            now = time.monotonic()
            for pgid, deadline in list(self.term_deadlines.items()):
                if now >= deadline:
                    if group_alive(pgid):
                        self.stop_group(pgid, signal.SIGKILL)
                    self.term_deadlines.pop(pgid, None)
        self.shutdown()

    def on_signal(self, signum, frame):
        self.stopping = True

    def shutdown(self):
        for pid in list(self.children):
            self.stop_group(pid)
        deadline = time.monotonic() + STOP_GRACE_S
        while self.children and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.05)
        for pid in list(self.children) + list(self.term_deadlines):
            if group_alive(pid):
                self.stop_group(pid, signal.SIGKILL)
        try:
            os.unlink(self.socket_path)
        except OSError:
            pass
        self.log("stopped")

    def accept(self):
        try:
            conn, _ = self.sock.accept()
        except BlockingIOError:
            return
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        uid = int.from_bytes(creds[4:8], sys.byteorder)
        if uid != os.getuid():
            protocol.send(conn, {"ok": False, "error": f"uid {uid} may not use this template (only uid {os.getuid()})"})
            conn.close()
            return
        conn.setblocking(True)
        self.selector.register(conn, selectors.EVENT_READ)
        self.buffers[conn] = (b"", [])

    def drop(self, conn):
        self.selector.unregister(conn)
        self.buffers.pop(conn, None)
        # The client is gone (stopped, killed): its server goes too.
        for pid, child in self.children.items():
            if child["conn"] is conn:
                child["conn"] = None
                self.stop_group(pid)
        conn.close()

    def read(self, conn):
        try:
            data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 8)
        except OSError:
            data, fds = b"", []
        if not data:
            for fd in fds:
                os.close(fd)
            self.drop(conn)
            return
        buffered, held = self.buffers[conn]
        buffered += data
        held = held + list(fds)
        last = buffered.rfind(b"\n")
        if len(buffered) - (last + 1) > protocol.MAX_MESSAGE or len(held) > protocol.MAX_FDS:
            # A peer that never ends its line (or floods descriptors) is cut off, not buffered.
            for fd in held:
                os.close(fd)
            try:
                protocol.send(conn, {"ok": False, "error": f"request over {protocol.MAX_MESSAGE} bytes or "
                                                           f"{protocol.MAX_FDS} descriptors: connection closed"})
            except OSError:
                pass
            self.drop(conn)
            return
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            try:
                request = json.loads(line)
                reply = self.handle(request, held, conn)
            except Refused as e:
                reply = {"ok": False, "refused": True, "error": str(e)}
            except Exception as e:  # a bad request must not take the template down
                reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            for fd in held:
                os.close(fd)
            held = []
            try:
                protocol.send(conn, reply)
            except OSError:
                pass
            if request_is_stop(line):
                self.stopping = True
        if conn in self.buffers:
            self.buffers[conn] = (buffered, held)

    def handle(self, request, fds, conn):
        op = request.get("op")
        if op == "status":
            return self.status()
        if op == "spawn":
            if len(fds) < 3:
                raise Refused("spawn needs the client's stdin, stdout and stderr (SCM_RIGHTS)")
            pid = self.spawn(list(request["argv"]), dict(request.get("env") or {}), request.get("cwd"), fds, conn)
            return {"ok": True, "pid": pid}
        if op == "restart":
            if not self.server_argv:
                raise Refused("this template was started without --server: nothing to restart (use `run`)")
            self.check_can_fork()
            t = time.monotonic()
            if self.managed:
                self.stop_group_and_wait(self.managed)
            pid = self.start_managed()
            return {"ok": True, "pid": pid, "stopped_s": round(time.monotonic() - t, 3)}
        if op == "stop":
            return {"ok": True}
        raise Refused(f"unknown op {op!r} (status, spawn, restart, stop)")


def request_is_stop(line):
    try:
        return json.loads(line).get("op") == "stop"
    except ValueError:
        return False


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def die_with_parent(parent):
    """SIGTERM to this process when the template exits (Linux PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        return
    if os.getppid() != parent:  # it died before the call took effect
        os.kill(os.getpid(), signal.SIGTERM)


def become_subreaper():
    """Orphans of a server (an engine process whose API server died) come to us, to be reaped."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except Exception:
        pass

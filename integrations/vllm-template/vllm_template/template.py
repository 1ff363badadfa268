"""The template process: imports once, forks each server start.

Single-threaded on purpose: a fork copies only the calling thread, so a template with threads
could hand its children a lock some other thread held. The loop is a selector over the
listening socket and the clients' connections; children are reaped by polling waitpid.

Each server start is two forks: a supervisor (supervisor.py), the template's child, and under it
the server, which the template never signals itself: it closes the supervisor's link, and the
supervisor stops the server's whole tree. The link also closes when the template dies.

One request per connection, every line checked (protocol.parse_request) before it is used: a
bad line gets one error reply and its connection is closed; nothing a peer sends stops the loop.
"""
import collections
import errno
import gc
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

from . import protocol, supervisor

STOP_GRACE_S = 10.0
# How long after the link is closed the template waits for a supervisor before SIGKILLing it
# (the supervisor itself SIGKILLs the server's tree after the grace).
SUPERVISOR_SLACK_S = 10.0
# Accepting again after a failed accept that freed nothing (EMFILE with no idle connection).
ACCEPT_PAUSE_S = 0.5
# At most one line of the same kind of trouble in this many seconds.
LOG_EVERY_S = 5.0


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


def triton_key_function():
    """Triton's cache key of its own build (a hash of its sources and its 400 MB library), or None.
    Triton computes it once per process, on the first kernel a process loads: ~0.4 s of every
    server start on the H200. It reads files only (no CUDA), so the template computes it once and
    every fork inherits the answer (it is memoised)."""
    if "triton" not in sys.modules:
        return None
    for module in ("triton.runtime.cache", "triton.compiler.compiler"):
        try:
            fn = getattr(importlib.import_module(module), "triton_key", None)
        except ImportError:
            continue
        if fn is not None and hasattr(fn, "cache_clear"):
            return fn
    return None


# Each per-server knob and the values it takes (unset: off); another value is named, not guessed.
CHILD_KNOBS = {"VLLM_TEMPLATE_GC_FREEZE": ("1", "0"), "VLLM_TEMPLATE_TRITON_KEY": ("recompute", "inherit")}


def apply_child_knobs(env, say=lambda msg: print(f"vllm-template: {msg}", file=sys.stderr, flush=True)):
    """In a fork, before the server runs: the per-server knobs of its environment. A knob it
    cannot apply is said on stderr in one line, and the server starts without it."""
    for name, allowed in CHILD_KNOBS.items():
        if name in env and env[name] not in allowed:
            say(f"{name}={env[name]!r} ignored: expected {' or '.join(allowed)}")
    if env.get("VLLM_TEMPLATE_GC_FREEZE") == "1":
        # What the template imported stays alive for the server's life: frozen, a collection
        # neither walks it nor writes to its pages (which a fork shares until written).
        gc.freeze()
    if env.get("VLLM_TEMPLATE_TRITON_KEY") == "recompute":
        # The control for the template's warmed key: this fork computes it again, as a fresh process would.
        fn = triton_key_function()
        if fn is not None:
            fn.cache_clear()
    if env.get("VLLM_TEMPLATE_STACKS"):
        from . import sampler
        try:
            sampler.start(env["VLLM_TEMPLATE_STACKS"])
        except (OSError, sampler.Refused) as e:
            say(f"VLLM_TEMPLATE_STACKS: no stack samples: {e}")


def run_child(argv, env, cwd, python, parent):
    """In the forked server, the supervisor's child (stdin, stdout, stderr in place): become the
    server. Never returns."""
    code = 1
    try:
        os.setsid()  # its own session and process group: stopping it stops all it starts
        # If its supervisor dies (killed), the server goes too: none runs on unwatched.
        die_with_parent(parent)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE, signal.SIGQUIT):
            signal.signal(sig, signal.SIG_DFL)
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
        apply_child_knobs(env)
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
    def __init__(self, socket_path, preload, watch, server_argv=None, log=None, stop_grace=STOP_GRACE_S):
        self.socket_path = socket_path
        self.stop_grace = stop_grace
        self.preload = list(preload)
        self.watch = list(watch)
        self.server_argv = server_argv
        self.log = log or (lambda msg: print(f"vllm-template: {msg}", file=sys.stderr, flush=True))
        self.env = dict(os.environ)
        self.python = sys.executable
        self.started = time.time()
        self.imports = []
        self.warmed = []        # what the template computed once for every fork: (name, seconds)
        # supervisor pid -> {"server": pid, "conn": socket or None, "link": socket or None (closed: stop),
        #                    "argv": [...], "started": t, "stop_by": when to SIGKILL the supervisor}
        self.children = {}
        self.managed = None     # pid of the server started with --server
        self.managed_exit = None
        self.stopping = False
        self.conns = {}         # connection -> {"buffer": bytearray, "fds": [...], "asked": bool}
        self.idle = collections.OrderedDict()   # connections without a request yet, oldest first
        self.accept_paused_until = None
        self.last_logged = {}

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
        key = triton_key_function()
        if key is not None:
            t = time.monotonic()
            key()
            self.warmed.append(("triton_key", time.monotonic() - t))
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
            "warmed": [{"what": n, "s": round(s, 3)} for n, s in self.warmed],
            "modules": len(sys.modules), "rss_bytes": rss_bytes(), "threads": threads(),
            "watched_files": len(self.snapshot.files), "stale": stale,
            "cuda_initialised": cuda_initialised() is not None,
            "children": sorted(c["server"] for c in self.children.values() if c["server"] is not None),
            "managed": self.managed,
            "managed_exit": self.managed_exit,
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
        ours, theirs = socket.socketpair()
        # Every other supervisor's link too: a copy held here would keep its link open after we die.
        close = [self.sock.fileno(), ours.fileno(), self.selector.fileno()] + [c.fileno() for c in self.conns] + \
                [fd for state in self.conns.values() for fd in state["fds"]] + \
                [c["link"].fileno() for c in self.children.values() if c["link"] is not None]
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            raise
        if pid == 0:
            supervisor.start(theirs, fds, close, self.stop_grace,
                             lambda parent: run_child(argv, env, cwd, self.python, parent))
        theirs.close()
        ours.settimeout(30)
        try:
            answer = ours.recv(64)
        except OSError:
            answer = b""
        if not answer.strip().isdigit():
            ours.close()
            self.children[pid] = {"server": None, "conn": None, "link": None, "argv": argv, "started": time.time(),
                                  "stop_by": time.monotonic()}
            raise Refused("the server's supervisor did not start it (out of processes or memory?); its error, "
                          "if any, is on this client's stderr")
        ours.setblocking(True)
        server = int(answer)
        self.children[pid] = {"server": server, "conn": conn, "link": ours, "argv": argv, "started": time.time(),
                              "stop_by": None}
        return server

    def start_managed(self):
        out = [0, 1, 2]
        self.managed = self.spawn(self.server_argv, dict(os.environ), os.getcwd(), out, None)
        self.managed_exit = None
        self.log(f"server started, pid {self.managed}")
        return self.managed

    def stop_server(self, supervisor_pid):
        """Closes the supervisor's link: it stops the server's tree (SIGTERM, SIGKILL after the grace)."""
        child = self.children.get(supervisor_pid)
        if child is None or child["stop_by"] is not None:
            return
        if child["link"] is not None:
            child["link"].close()
            child["link"] = None
        child["stop_by"] = time.monotonic() + self.stop_grace + SUPERVISOR_SLACK_S

    def supervisor_of(self, server):
        for pid, child in self.children.items():
            if child["server"] == server:
                return pid
        return None

    def stop_server_and_wait(self, server):
        pid = self.supervisor_of(server)
        if pid is None:
            return
        self.stop_server(pid)
        while pid in self.children:
            self.reap()
            self.kill_late_supervisors()
            time.sleep(0.05)

    def kill_late_supervisors(self):
        """A supervisor past its time is killed; its server gets SIGTERM from the kernel (PDEATHSIG)."""
        now = time.monotonic()
        for pid, child in self.children.items():
            if child["stop_by"] is not None and now >= child["stop_by"]:
                try:
                    os.kill(pid, signal.SIGKILL)   # our own unreaped child: the pid is still this one
                except ProcessLookupError:
                    pass

    def reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            code = supervisor.exit_code(status)
            child = self.children.pop(pid, None)
            if child is None:
                continue  # an orphan (of a killed supervisor), handed to us as subreaper
            # The supervisor exits with the server's status once the server's whole tree is gone.
            if child["link"] is not None:
                child["link"].close()
            server = child["server"]
            if server is not None and server == self.managed:
                self.managed_exit = code
                self.managed = None
                self.log(f"server pid {server} exited with status {code}")
            conn = child["conn"]
            if conn is not None and conn in self.conns:
                self.send(conn, {"event": "exit", "pid": server, "status": code})
                self.drop(conn)

    # -- the loop -----------------------------------------------------------------------------

    def serve_forever(self):
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.sock, selectors.EVENT_READ)
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
                elif key.fileobj in self.conns:   # not dropped earlier in this round
                    self.read(key.fileobj)
            self.reap()
            self.kill_late_supervisors()
            if self.accept_paused_until is not None and time.monotonic() >= self.accept_paused_until:
                self.accept_paused_until = None
                self.selector.register(self.sock, selectors.EVENT_READ)
        self.shutdown()

    def on_signal(self, signum, frame):
        self.stopping = True

    def shutdown(self):
        for pid in list(self.children):
            self.stop_server(pid)
        deadline = time.monotonic() + self.stop_grace + SUPERVISOR_SLACK_S
        while self.children and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.05)
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.unlink(self.socket_path)
        except OSError:
            pass
        self.log("stopped")

    def log_limited(self, kind, message):
        """Trouble that can repeat a thousand times a second is logged once per LOG_EVERY_S."""
        now = time.monotonic()
        last, missed = self.last_logged.get(kind, (None, 0))
        if last is not None and now - last < LOG_EVERY_S:
            self.last_logged[kind] = (last, missed + 1)
            return
        self.last_logged[kind] = (now, 0)
        self.log(message + (f" ({missed} more like it not logged)" if missed else ""))

    def accept(self):
        # A few per round: a flood is taken in (and its oldest idle peers shed) faster than it grows.
        for _ in range(protocol.MAX_IDLE_CONNECTIONS):
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as e:
                self.accept_failed(e)
                return
            self.admit(conn)

    def accept_failed(self, e):
        """Out of descriptors (EMFILE, ENFILE) or kernel memory: shed the oldest idle connection
        if there is one, else stop accepting for a moment. The template and its servers go on."""
        name = errno.errorcode.get(e.errno, str(e.errno))
        if self.idle:
            oldest = next(iter(self.idle))
            self.log_limited("accept", f"accept failed with {name} ({e.strerror}) at {len(self.conns)} "
                                       f"connections: closing the oldest idle one")
            self.reject(oldest, f"the template is out of descriptors ({name}): this connection, the oldest "
                                f"without a request, is closed")
            return
        self.log_limited("accept", f"accept failed with {name} ({e.strerror}) at {len(self.conns)} connections, "
                                   f"none idle: not accepting for {ACCEPT_PAUSE_S:g} s")
        self.selector.unregister(self.sock)
        self.accept_paused_until = time.monotonic() + ACCEPT_PAUSE_S

    def admit(self, conn):
        try:
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        except OSError:
            conn.close()
            return
        uid = int.from_bytes(creds[4:8], sys.byteorder)
        conn.setblocking(False)
        if uid != os.getuid():
            self.send(conn, {"ok": False, "error": f"uid {uid} may not use this template (only uid {os.getuid()})"})
            conn.close()
            return
        if len(self.idle) >= protocol.MAX_IDLE_CONNECTIONS:
            oldest = next(iter(self.idle))
            self.log_limited("idle", f"{len(self.idle)} connections without a request: closing the oldest")
            self.reject(oldest, f"over {protocol.MAX_IDLE_CONNECTIONS} connections without a request: this one, "
                                f"the oldest, is closed")
        self.selector.register(conn, selectors.EVENT_READ)
        self.conns[conn] = {"buffer": bytearray(), "fds": [], "asked": False}
        self.idle[conn] = time.monotonic()

    def send(self, conn, obj):
        """One message, never waiting: a peer that does not read its replies loses its connection,
        not the template's time. True when it went out whole."""
        data = (json.dumps(obj) + "\n").encode()
        try:
            return conn.send(data) == len(data)
        except OSError:
            return False

    def reject(self, conn, error):
        """A peer that broke the rules: one error reply, and its connection is closed."""
        self.send(conn, {"ok": False, "error": error})
        self.drop(conn)

    def drop(self, conn):
        state = self.conns.pop(conn, None)
        if state is None:
            return
        self.idle.pop(conn, None)
        for fd in state["fds"]:
            try:
                os.close(fd)
            except OSError:
                pass
        self.selector.unregister(conn)
        # The client is gone (stopped, killed, cut off): its server goes too.
        for pid, child in self.children.items():
            if child["conn"] is conn:
                child["conn"] = None
                self.stop_server(pid)
        conn.close()

    def read(self, conn):
        state = self.conns[conn]
        try:
            data, fds, _flags, _addr = socket.recv_fds(conn, 65536, protocol.MAX_FDS)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, fds = b"", []
        state["fds"] += fds
        if not data:
            self.drop(conn)
            return
        if state["asked"]:
            self.reject(conn, "one request per connection: this connection has asked already; open a new one")
            return
        # A bytearray grows in place and only the new bytes are searched: a peer that sends its
        # line one byte at a time costs linear time, not a copy of the whole buffer per byte.
        end = data.find(b"\n")
        if end >= 0:
            end += len(state["buffer"])
        state["buffer"] += data
        if end < 0:
            if len(state["buffer"]) > protocol.MAX_MESSAGE or len(state["fds"]) > protocol.MAX_FDS:
                # A peer that never ends its line (or floods descriptors) is cut off, not buffered.
                self.reject(conn, f"request over {protocol.MAX_MESSAGE} bytes or {protocol.MAX_FDS} descriptors: "
                                  f"connection closed")
            return
        line, rest = bytes(state["buffer"][:end]), bytes(state["buffer"][end + 1:])
        state["buffer"], state["asked"] = bytearray(), True
        self.idle.pop(conn, None)
        fds, state["fds"] = state["fds"], []
        try:
            request = protocol.parse_request(line)
            if len(fds) > protocol.MAX_FDS:
                raise protocol.BadRequest(f"a request with {len(fds)} descriptors, over the limit of "
                                          f"{protocol.MAX_FDS}")
        except protocol.BadRequest as e:
            close_all(fds)
            self.reject(conn, f"{e} (connection closed)")
            return
        try:
            reply = self.handle(request, fds, conn)
        except Refused as e:
            reply = {"ok": False, "refused": True, "error": str(e)}
        except Exception as e:  # a request the rules let through must not take the template down either
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        close_all(fds)   # a server has its own copies
        if request["op"] == "stop":
            self.stopping = True
        sent = self.send(conn, reply)
        if rest.strip():
            self.reject(conn, "one request per connection: this connection has asked already; open a new one")
        elif not sent or not reply.get("ok") or request["op"] != "spawn":
            self.drop(conn)   # answered: one request per connection (a spawn's waits for the exit)

    def handle(self, request, fds, conn):
        op = request["op"]
        if op == "status":
            return self.status()
        if op == "spawn":
            if len(fds) < 3:
                raise Refused("spawn needs the client's stdin, stdout and stderr (SCM_RIGHTS)")
            pid = self.spawn(list(request["argv"]), dict(request["env"]), request.get("cwd"), fds, conn)
            return {"ok": True, "pid": pid}
        if op == "restart":
            if not self.server_argv:
                raise Refused("this template was started without --server: nothing to restart (use `run`)")
            self.check_can_fork()
            t = time.monotonic()
            if self.managed:
                self.stop_server_and_wait(self.managed)
            pid = self.start_managed()
            return {"ok": True, "pid": pid, "stopped_s": round(time.monotonic() - t, 3)}
        return {"ok": True}   # stop: the loop ends after this reply


def close_all(fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def die_with_parent(parent):
    """SIGTERM to this process when its parent (the supervisor) exits (Linux PR_SET_PDEATHSIG)."""
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

"""python -m vllm_template serve | run | restart | status | stop  (see README.md)."""
import argparse
import json
import os
import signal
import socket
import sys
import time

from . import protocol

# What `vllm serve` imports before its first log line, and what its engine process imports before
# CUDA (vLLM's CLI module itself imports almost nothing: its main() imports the subcommands).
# A trailing "?" makes a module optional: skipped, and named in `status`, when it is missing.
DEFAULT_PRELOAD = (
    "torch",
    "vllm.entrypoints.cli.main",
    "vllm.entrypoints.cli.openai",
    "vllm.entrypoints.cli.serve",
    "vllm.entrypoints.cli.launch?",
    "vllm.entrypoints.cli.benchmark.main?",
    "vllm.entrypoints.cli.collect_env?",
    "vllm.entrypoints.cli.run_batch?",
    "vllm.entrypoints.openai.api_server",
    "vllm.v1.engine.core",
    "vllm.v1.engine.async_llm?",
    "vllm.v1.worker.gpu_worker?",
    "vllm.v1.worker.gpu_model_runner?",
    "vllm.model_executor.models.llama?",
)


def default_socket():
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/vllm-template-{os.getuid()}"
    os.makedirs(base, mode=0o700, exist_ok=True)
    return os.path.join(base, "vllm-template.sock")


def connect(path):
    """A connection to our own template, or an exit with the reason."""
    try:
        protocol.check_socket_owner(path)
    except protocol.UnsafeSocket as e:
        print(f"vllm-template: {e}", file=sys.stderr)
        sys.exit(protocol.EXIT_UNSAFE_SOCKET)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except (FileNotFoundError, ConnectionRefusedError) as e:
        print(f"vllm-template: no template listens on {path} ({e.strerror}): start it "
              f"(python -m vllm_template serve --socket {path})", file=sys.stderr)
        sys.exit(protocol.EXIT_UNREACHABLE)
    return s


def first_reply(s, reader, path):
    """The template's answer to our request, within REPLY_TIMEOUT_S, or an exit saying why not."""
    s.settimeout(protocol.REPLY_TIMEOUT_S)
    try:
        return reader.read()
    except socket.timeout:
        print(f"vllm-template: the template on {path} did not answer within {protocol.REPLY_TIMEOUT_S:g} s "
              f"(hung? restart it)", file=sys.stderr)
    except protocol.ProtocolError as e:
        print(f"vllm-template: the template on {path} broke the protocol: {e}", file=sys.stderr)
    sys.exit(protocol.EXIT_UNREACHABLE)


def ask(path, request):
    s = connect(path)
    protocol.send(s, request)
    reply = first_reply(s, protocol.LineReader(s), path)
    s.close()
    if reply is None:
        print(f"vllm-template: the template on {path} closed the connection without an answer", file=sys.stderr)
        sys.exit(protocol.EXIT_UNREACHABLE)
    return reply


def refuse(reply):
    print(f"vllm-template: {reply.get('error')}", file=sys.stderr)
    sys.exit(protocol.EXIT_REFUSED)


def cmd_serve(a):
    from .template import Template, Refused
    preload = [m for m in (a.preload or list(DEFAULT_PRELOAD)) if m]
    t = Template(a.socket, preload, a.watch.split(",") if a.watch else protocol.DEFAULT_WATCH,
                 server_argv=a.server or None, stop_grace=a.stop_grace)
    try:
        t.listen()
        t.load()
    except (Refused, protocol.UnsafeSocket) as e:
        print(f"vllm-template: refusing to start: {e}", file=sys.stderr, flush=True)
        try:
            os.unlink(a.socket)
        except OSError:
            pass
        sys.exit(protocol.EXIT_REFUSED)
    t.serve_forever()


def cmd_run(a):
    """Runs a server forked from the template, as if this process were it: same output, its exit
    status, and a signal to this process reaches the server's whole process group."""
    if not a.command:
        print("vllm-template run: expected -- COMMAND...", file=sys.stderr)
        sys.exit(2)
    s = connect(a.socket)
    request = {"op": "spawn", "argv": a.command, "env": dict(os.environ), "cwd": os.getcwd()}
    protocol.send(s, request, fds=[0, 1, 2])
    reader = protocol.LineReader(s)
    reply = first_reply(s, reader, a.socket)
    s.settimeout(None)   # then it waits for the server's exit, however long it serves
    if reply is None:
        print(f"vllm-template: the template on {a.socket} closed the connection (did it crash?)", file=sys.stderr)
        sys.exit(protocol.EXIT_UNREACHABLE)
    if not reply.get("ok"):
        refuse(reply)
    pid = reply["pid"]
    if a.pid_file:
        with open(a.pid_file + ".tmp", "w") as f:
            f.write(f"{pid}\n")
        os.replace(a.pid_file + ".tmp", a.pid_file)

    def forward(signum, frame):
        try:
            os.killpg(pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, forward)
    while True:
        try:
            event = reader.read()
        except InterruptedError:
            continue
        if event is None:
            # The template went away: it stopped its children as it went, or it was killed and
            # the server runs on orphaned; stop its group either way.
            forward(signal.SIGTERM, None)
            print("vllm-template: the template went away while the server ran", file=sys.stderr)
            sys.exit(protocol.EXIT_UNREACHABLE)
        if event.get("event") == "exit" and event.get("pid") == pid:
            sys.exit(event.get("status", 1))


def cmd_restart(a):
    t = time.monotonic()
    reply = ask(a.socket, {"op": "restart"})
    if not reply.get("ok"):
        refuse(reply)
    print(f"server restarted: pid {reply['pid']} (old one stopped in {reply.get('stopped_s', 0):.2f} s, "
          f"request {time.monotonic() - t:.2f} s)")


def cmd_status(a):
    reply = ask(a.socket, {"op": "status"})
    if a.json:
        print(json.dumps(reply, indent=2, sort_keys=True))
    else:
        rss = reply.get("rss_bytes")
        print(f"template pid {reply['pid']} ({reply['python']}), up {time.time() - reply['started_at']:.0f} s, "
              f"loaded in {reply['load_s']:.2f} s")
        print(f"  holds {reply['modules']} modules, RSS {rss / 2**20:.0f} MiB" if rss else f"  holds {reply['modules']} modules")
        for i in reply.get("imports", []):
            print(f"  import {i['module']}: {i['s']:.2f} s")
        for w in reply.get("warmed", []):
            print(f"  computed once, inherited by every fork: {w['what']} ({w['s']:.2f} s)")
        print(f"  CUDA initialised: {'yes (forks refused)' if reply['cuda_initialised'] else 'no'}")
        print(f"  stale: {'yes: ' + reply['stale'][0] + ' changed since it started: restart it' if reply['stale'] else 'no'}")
        print(f"  servers: {reply['children'] or 'none'}")
    if reply.get("stale") or reply.get("cuda_initialised"):
        sys.exit(1)


def cmd_stop(a):
    reply = ask(a.socket, {"op": "stop"})
    print("stopping" if reply.get("ok") else reply.get("error"))


def grace_seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds from 0 to 3600, got {text!r}")
    return value


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m vllm_template")
    sub = p.add_subparsers(dest="cmd", required=True)

    def with_socket(sp):
        sp.add_argument("--socket", default=None, help="Unix socket (default $XDG_RUNTIME_DIR/vllm-template.sock)")
        return sp

    s = with_socket(sub.add_parser("serve", help="start the template (imports once, then waits)"))
    s.add_argument("--preload", action="append", help="a module to import (repeat); default: torch and vLLM's serve path")
    s.add_argument("--watch", default=None, help="packages whose files make the template stale (default torch,vllm)")
    s.add_argument("--stop-grace", type=grace_seconds, default=10.0, metavar="SECONDS",
                   help="how long a stopped server's processes get after SIGTERM before SIGKILL (default 10)")
    s.add_argument("--server", nargs=argparse.REMAINDER,
                   help="start this server at once and restart it on `restart` (a unit or container entrypoint)")
    r = with_socket(sub.add_parser("run", help="run a server forked from the template"))
    r.add_argument("--pid-file", default=None)
    r.add_argument("command", nargs=argparse.REMAINDER)
    with_socket(sub.add_parser("restart", help="stop the server started with --server and fork a new one"))
    st = with_socket(sub.add_parser("status", help="what the template holds; exit 1 when stale"))
    st.add_argument("--json", action="store_true")
    with_socket(sub.add_parser("stop", help="stop the template and every server it started"))
    a = p.parse_args(argv)
    a.socket = a.socket or default_socket()
    for name in ("command", "server"):
        value = getattr(a, name, None)
        if value and value[0] == "--":
            setattr(a, name, value[1:])
    {"serve": cmd_serve, "run": cmd_run, "restart": cmd_restart, "status": cmd_status, "stop": cmd_stop}[a.cmd](a)


if __name__ == "__main__":
    main()

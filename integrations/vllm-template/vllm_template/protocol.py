"""What client and template say to each other, and the rules both check.

One JSON object per line over a Unix stream socket. A `spawn` request carries the client's
stdin, stdout and stderr as SCM_RIGHTS file descriptors: the server's output goes straight to
whoever asked for it (a terminal, bench's pipes, a unit's journal).
"""
import json
import os
import re
import socket
import stat

# Exit statuses of the client, for scripts and for bench (75-78: sysexits' TEMPFAIL..CONFIG).
EXIT_UNREACHABLE = 75   # no template listens on the socket (crashed, stopped, never started)
EXIT_UNSAFE_SOCKET = 77  # the socket is not ours alone: refuse to talk to it
EXIT_REFUSED = 78       # the template refused the request (stale, CUDA initialised, bad command)

# Variables that modules read once, at import time (huggingface_hub's constants, Python's own
# start-up switches): a child cannot change them by setting its environment after the fork.
IMPORT_TIME_VARIABLES = (
    "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE",
    "TRANSFORMERS_CACHE", "HF_ENDPOINT", "PYTHONHASHSEED",
    # The dynamic loader reads these once, when the process starts: a fork keeps the template's.
    "LD_LIBRARY_PATH", "LD_PRELOAD",
)

# The packages whose files make a template stale when they change on disk.
DEFAULT_WATCH = ("torch", "vllm")


# One request or reply: a spawn carries the client's environment, a few KB; nothing real
# comes near this, and a peer that sends more without a line's end is cut off.
MAX_MESSAGE = 1 << 20
# Descriptors one request may carry (a spawn sends three).
MAX_FDS = 16
# How long a client waits for the template's answer (a restart stops the old server first).
REPLY_TIMEOUT_S = 60.0
# A request is an object of strings and lists: two levels deep; a line nested deeper than this is
# refused before it is parsed (a recursive parse of 100k '[' is what it would cost otherwise).
MAX_DEPTH = 8
# Connections that have not sent their request yet: past this, the oldest is closed. Far below a
# default RLIMIT_NOFILE of 1024, so a flood of idle peers cannot take the template's descriptors.
MAX_IDLE_CONNECTIONS = 64
# The requests there are.
OPS = ("status", "spawn", "restart", "stop")


class UnsafeSocket(Exception):
    pass


class ProtocolError(Exception):
    """The other side broke the protocol (an endless line, too many descriptors)."""


class BadRequest(Exception):
    """A request line the template cannot take: the text names what was expected."""


def check_socket_owner(path, uid=None):
    """The socket must be a socket, owned by this user, and open to nobody else (0600).

    Talking to a socket another user owns would hand that user our command, environment and
    file descriptors: refuse with the reason.
    """
    uid = os.getuid() if uid is None else uid
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        raise UnsafeSocket(f"{path} exists and is not a socket (remove it, or choose another --socket)")
    if st.st_uid != uid:
        raise UnsafeSocket(f"{path} is owned by uid {st.st_uid}, not by this user (uid {uid}): refusing to use "
                           f"another user's template; start your own with another --socket")
    if st.st_mode & 0o077:
        raise UnsafeSocket(f"{path} has mode {oct(st.st_mode & 0o777)}: others can open it; expected 0600 "
                           f"(restart the template, which creates it 0600)")


def check_folder(path, uid=None):
    """The socket's folder must not let another user swap the socket: ours, or sticky (/tmp)."""
    uid = os.getuid() if uid is None else uid
    folder = os.path.dirname(os.path.abspath(path)) or "/"
    st = os.stat(folder)
    if st.st_uid != uid and st.st_uid != 0:
        raise UnsafeSocket(f"{folder} (the socket's folder) belongs to uid {st.st_uid}: put the socket in a folder "
                           f"of your own (e.g. $XDG_RUNTIME_DIR)")
    if st.st_mode & 0o002 and not st.st_mode & stat.S_ISVTX:
        raise UnsafeSocket(f"{folder} (the socket's folder) is writable by everyone and not sticky: another user "
                           f"could replace the socket; use a folder of your own")


def send(sock, obj, fds=None):
    data = (json.dumps(obj) + "\n").encode()
    if fds:
        socket.send_fds(sock, [data], fds)
    else:
        sock.sendall(data)


class LineReader:
    """Reads JSON lines from a blocking socket, keeping any descriptors that arrive."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def read(self):
        while b"\n" not in self.buffer:
            if len(self.buffer) > MAX_MESSAGE:
                raise ProtocolError(f"a message of over {MAX_MESSAGE} bytes without its end")
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


_STRUCTURE = re.compile(r'[\[\]{}"\\]')


def nesting_depth(text, limit):
    """How deep `text`'s brackets nest (stops counting past `limit`), strings skipped; one pass."""
    depth = deepest = 0
    in_string = False
    skip_to = -1
    for match in _STRUCTURE.finditer(text):
        i = match.start()
        if i < skip_to:
            continue
        c = text[i]
        if in_string:
            if c == "\\":
                skip_to = i + 2   # an escaped character, maybe a quote
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif c in "]}":
            depth -= 1
    return deepest


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a JSON array"
    return "a JSON object"


def _clean(value):
    """A string the OS can take: no NUL byte, encodable (no lone surrogate from a \\ud800 escape)."""
    if not isinstance(value, str) or "\0" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _name(value):
    return repr(value[:40] + ("..." if len(value) > 40 else ""))


def parse_request(line):
    """One request line as a dict whose fields have the types the template uses, or BadRequest."""
    if len(line) > MAX_MESSAGE:
        raise BadRequest(f"a request of {len(line)} bytes, over the {MAX_MESSAGE}-byte limit")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequest(f"not UTF-8 (byte {e.start}): expected one JSON object per line") from None
    if text.count("[") + text.count("{") > MAX_DEPTH and nesting_depth(text, MAX_DEPTH) > MAX_DEPTH:
        raise BadRequest(f"nested deeper than {MAX_DEPTH} levels: expected a JSON object of strings and lists")
    try:
        request = json.loads(text)
    except ValueError as e:
        raise BadRequest(f"not JSON ({getattr(e, 'msg', e)} at column {getattr(e, 'colno', '?')}): expected one "
                         f"JSON object per line") from None
    if not isinstance(request, dict):
        raise BadRequest(f'expected a JSON object ({{"op": ...}}), got {_kind(request)}')
    op = request.get("op")
    if op not in OPS:
        got = _name(op) if isinstance(op, str) else _kind(op)
        raise BadRequest(f'expected "op" to be one of {", ".join(OPS)}; got {got}')
    if op == "spawn":
        argv = request.get("argv")
        if not isinstance(argv, list) or not argv or not all(_clean(a) for a in argv):
            raise BadRequest('spawn: expected "argv" to be a non-empty list of strings (no NUL byte)')
        env = request.get("env")
        if env is None:
            request["env"] = env = {}
        if not isinstance(env, dict):
            raise BadRequest(f'spawn: expected "env" to be an object of NAME: "value" strings; got {_kind(env)}')
        for name, value in env.items():
            if not name or "=" in name or not _clean(name):
                raise BadRequest(f'spawn: expected "env" names without "=" or NUL; got {_name(name)}')
            if not _clean(value):
                raise BadRequest(f'spawn: expected "env" value of {_name(name)} to be a string without NUL; '
                                 f'got {_kind(value) if not isinstance(value, str) else "one with NUL"}')
        cwd = request.get("cwd")
        if cwd is not None and not _clean(cwd):
            raise BadRequest(f'spawn: expected "cwd" to be a folder path (a string) or null; got {_kind(cwd)}')
    return request

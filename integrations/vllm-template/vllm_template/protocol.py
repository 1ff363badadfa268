"""What client and template say to each other, and the rules both check.

One JSON object per line over a Unix stream socket. A `spawn` request carries the client's
stdin, stdout and stderr as SCM_RIGHTS file descriptors: the server's output goes straight to
whoever asked for it (a terminal, bench's pipes, a unit's journal).
"""
import json
import os
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


class UnsafeSocket(Exception):
    pass


class ProtocolError(Exception):
    """The other side broke the protocol (an endless line, too many descriptors)."""


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

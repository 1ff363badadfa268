"""Processes as /proc shows them: a tree under a root, who holds the GPU, killing a tree."""
import ctypes, os, signal, time

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Orphans below this process become its children, so it can reap them: a pid held by an
    unreaped zombie cannot be restored into (CRIU gives each process its old pid back)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap():
    """Collect every exited child (this process is a subreaper: orphans too)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def children_of():
    kids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command may hold spaces and parentheses: the fields start after the last ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        kids.setdefault(int(fields[1]), []).append(int(entry))
    return kids


def tree(root):
    kids, out, todo = children_of(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def holds_gpu(pid):
    """A process with an NVIDIA device mapped or open has driver state to checkpoint (on the
    lent H200, vLLM's API server held /dev/nvidiactl open without a context, and CRIU refused
    that file until the driver had checkpointed the process)."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            if any("/dev/nvidia" in line for line in f):
                return True
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("/dev/nvidia"):
                return True
        except OSError:
            pass
    return False


def deleted_file_folders(pids):
    """Folders of files the tree holds open or mapped after they were deleted: CRIU links each
    to a `link_remap.N` beside it when dumping, and uses the link up when restoring."""
    folders = set()
    for pid in pids:
        paths = []
        try:
            with open(f"/proc/{pid}/maps") as f:
                paths += [line.split(None, 5)[5].strip() for line in f if line.rstrip().endswith(" (deleted)")]
        except (OSError, IndexError):
            pass
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    paths.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
                except OSError:
                    pass
        except OSError:
            pass
        folders.update(os.path.dirname(p[:-len(" (deleted)")]) for p in paths
                       if p.startswith("/") and p.endswith(" (deleted)"))
    return sorted(folders)


def anon_bytes(pid):
    """What CRIU must write for this process: its anonymous and shared memory."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("RssAnon:", "RssShmem:")):
                    total += int(line.split()[1]) * 1024
    except OSError:
        pass
    return total


def kill_tree(pids, grace=5.0):
    """SIGTERM, then SIGKILL after `grace` seconds, to every listed process still alive."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + (grace if sig == signal.SIGTERM else 5.0)
        while time.monotonic() < deadline and any(alive(p) for p in pids):
            reap()
            time.sleep(0.05)
        if not any(alive(p) for p in pids):
            reap()
            return True
    reap()
    return not any(alive(p) for p in pids)

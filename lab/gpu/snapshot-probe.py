"""Can a process that holds GPU memory be snapshotted on this machine, and how long do the
parts take? Two layers, each timed apart:
  driver: the CUDA driver's checkpoint API (cuCheckpointProcess*, driver 550 and later) moves a
          running process's GPU memory to host memory and back, in place;
  criu:   after that, CRIU dumps the whole (now GPU-free) process to an image folder, the
          process is killed, CRIU restores it, and the driver puts its GPU memory back.
The workload is a torch process holding GIB GiB of random bf16 on the GPU; it answers SIGUSR1
by writing a checksum of that memory to a file, so the bytes after a restore can be compared.
Usage: python3 snapshot-probe.py driver GIB | criu GIB CRIU_BIN IMAGE_DIR
Prints one JSON line per step (the lab script collects them)."""
import ctypes, json, os, signal, subprocess, sys, time

WORKER = r"""
import os, signal, sys, time, torch
gib = float(sys.argv[1]); out = sys.argv[2]
n = int(gib * (1 << 30)) // 2
x = torch.randn(n, dtype=torch.bfloat16, device="cuda")
def digest():
    torch.cuda.synchronize()
    return float(x.float().sum().item()) if n < (1 << 31) else float(sum(c.float().sum().item() for c in x.split(1 << 28)))
def answer(*_):
    with open(out + ".tmp", "w") as f: f.write(repr(digest()))
    os.rename(out + ".tmp", out)
signal.signal(signal.SIGUSR1, answer)
answer()
while True: time.sleep(0.05)
"""

STATES = {0: "running", 1: "locked", 2: "checkpointed", 3: "failed"}

def emit(**kw):
    print(json.dumps(kw), flush=True)

class Driver:
    def __init__(self):
        self.cu = ctypes.CDLL("libcuda.so.1")
        rc = self.cu.cuInit(0)
        if rc: raise SystemExit(f"cuInit: {rc}")
        for name in ("cuCheckpointProcessGetState", "cuCheckpointProcessLock",
                     "cuCheckpointProcessCheckpoint", "cuCheckpointProcessRestore",
                     "cuCheckpointProcessUnlock"):
            if not hasattr(self.cu, name):
                raise SystemExit(f"the driver has no {name}: no checkpoint API")
    def state(self, pid):
        s = ctypes.c_int(-1)
        rc = self.cu.cuCheckpointProcessGetState(ctypes.c_int(pid), ctypes.byref(s))
        return STATES.get(s.value, str(s.value)) if rc == 0 else f"error {rc}"
    def call(self, name, pid, timeout_ms=0):
        args = (ctypes.c_uint64 * 16)()          # zeroed, larger than every args struct
        if timeout_ms: ctypes.cast(args, ctypes.POINTER(ctypes.c_uint32))[0] = timeout_ms
        t = time.monotonic()
        rc = getattr(self.cu, name)(ctypes.c_int(pid), ctypes.byref(args))
        dt = time.monotonic() - t
        emit(step=name, rc=rc, s=round(dt, 4), state=self.state(pid))
        if rc: raise SystemExit(f"{name} returned {rc}")
        return dt

def gpu_used_mib():
    try:
        return int(subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                  capture_output=True, text=True, timeout=20).stdout.split()[0])
    except Exception as e:
        return f"? {e}"

def start_worker(gib, out):
    # Its own session, stdin from /dev/null, output to a file: nothing ties it to this process,
    # so CRIU can dump it as a tree of its own.
    log = open(out + ".log", "w")
    p = subprocess.Popen([sys.executable, "-c", WORKER, str(gib), out], stdin=subprocess.DEVNULL,
                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    t = time.monotonic()
    while not os.path.exists(out):
        if p.poll() is not None: raise SystemExit("worker died: " + open(out + ".log").read()[-2000:])
        if time.monotonic() - t > 300: raise SystemExit("worker not ready in 300 s")
        time.sleep(0.1)
    return p, float(open(out).read())

def ask_digest(pid, out, timeout=120):
    os.unlink(out)
    os.kill(pid, signal.SIGUSR1)
    t = time.monotonic()
    while not os.path.exists(out):
        if time.monotonic() - t > timeout: return None
        time.sleep(0.02)
    return float(open(out).read())

def driver_probe(gib):
    d = Driver(); out = "/tmp/snapshot-probe-driver.sum"
    for f in (out,): 
        if os.path.exists(f): os.unlink(f)
    p, before = start_worker(gib, out)
    emit(step="worker", gib=gib, pid=p.pid, state=d.state(p.pid), gpu_used_mib=gpu_used_mib())
    d.call("cuCheckpointProcessLock", p.pid, timeout_ms=10000)
    d.call("cuCheckpointProcessCheckpoint", p.pid)
    emit(step="checkpointed", gpu_used_mib=gpu_used_mib())
    d.call("cuCheckpointProcessRestore", p.pid)
    d.call("cuCheckpointProcessUnlock", p.pid)
    after = ask_digest(p.pid, out)
    emit(step="compare", before=before, after=after, equal=(before == after), gpu_used_mib=gpu_used_mib())
    p.kill(); p.wait()

def criu_probe(gib, criu, images):
    d = Driver(); out = "/tmp/snapshot-probe-criu.sum"
    if os.path.exists(out): os.unlink(out)
    os.makedirs(images, exist_ok=True)
    p, before = start_worker(gib, out)
    pid = p.pid
    emit(step="worker", gib=gib, pid=pid, gpu_used_mib=gpu_used_mib())
    d.call("cuCheckpointProcessLock", pid, timeout_ms=10000)
    d.call("cuCheckpointProcessCheckpoint", pid)
    maps = open(f"/proc/{pid}/maps").read()
    fds = sorted(os.readlink(f"/proc/{pid}/fd/{f}") for f in os.listdir(f"/proc/{pid}/fd"))
    emit(step="after-checkpoint", nvidia_maps=sum("nvidia" in l for l in maps.splitlines()),
         nvidia_fds=[f for f in fds if "nvidia" in f])
    t = time.monotonic()
    r = subprocess.run([criu, "dump", "-t", str(pid), "-D", images, "-o", "dump.log", "-v4",
                        "--file-locks", "--ext-unix-sk", "--tcp-established"],
                       capture_output=True, text=True)
    emit(step="criu dump", rc=r.returncode, s=round(time.monotonic() - t, 3),
         image_bytes=sum(os.path.getsize(os.path.join(images, f)) for f in os.listdir(images)),
         stderr=r.stderr[-1500:])
    try: p.wait(timeout=10)
    except subprocess.TimeoutExpired: pass
    if r.returncode != 0:
        os.system(f"tail -40 {images}/dump.log")
        return
    os.system("sync; echo 3 > /proc/sys/vm/drop_caches")
    t = time.monotonic()
    r = subprocess.run([criu, "restore", "-D", images, "-o", "restore.log", "-v4", "-d",
                        "--file-locks", "--ext-unix-sk", "--tcp-established"], capture_output=True, text=True)
    emit(step="criu restore", rc=r.returncode, s=round(time.monotonic() - t, 3), stderr=r.stderr[-1500:])
    if r.returncode != 0:
        os.system(f"tail -40 {images}/restore.log")
        return
    emit(step="restored", state=d.state(pid), alive=os.path.exists(f"/proc/{pid}"))
    d.call("cuCheckpointProcessRestore", pid)
    d.call("cuCheckpointProcessUnlock", pid)
    after = ask_digest(pid, out)
    emit(step="compare", before=before, after=after, equal=(before == after), gpu_used_mib=gpu_used_mib(),
         restore_total_s=None)
    os.kill(pid, signal.SIGKILL)

if __name__ == "__main__":
    if sys.argv[1] == "driver": driver_probe(float(sys.argv[2]))
    else: criu_probe(float(sys.argv[2]), sys.argv[3], sys.argv[4])

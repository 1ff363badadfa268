"""The CUDA driver's process checkpoint API (driver 550 and later), through ctypes.

Lock stops new CUDA work in the target, Checkpoint copies its device memory to host memory
and releases the GPU, Restore puts it back, Unlock lets it run. The target needs no help:
this is what NVIDIA's cuda-checkpoint tool does, and CRIU dumps the process in between."""
import ctypes, time

STATES = {0: "running", 1: "locked", 2: "checkpointed", 3: "failed"}
CALLS = ("cuCheckpointProcessGetState", "cuCheckpointProcessGetRestoreThreadId", "cuCheckpointProcessLock", "cuCheckpointProcessCheckpoint",
         "cuCheckpointProcessRestore", "cuCheckpointProcessUnlock")


class DriverError(Exception):
    pass


class CheckpointDriver:
    def __init__(self, library="libcuda.so.1"):
        try:
            self.cu = ctypes.CDLL(library)
        except OSError as e:
            raise DriverError(f"no CUDA driver library ({library}): {e}")
        missing = [name for name in CALLS if not hasattr(self.cu, name)]
        if missing:
            raise DriverError(f"the CUDA driver has no checkpoint API (missing {', '.join(missing)}): driver 550 or later is needed")
        rc = self.cu.cuInit(0)
        if rc:
            raise DriverError(f"cuInit failed with CUDA error {rc}")

    def state(self, pid):
        s = ctypes.c_int(-1)
        rc = self.cu.cuCheckpointProcessGetState(ctypes.c_int(pid), ctypes.byref(s))
        return STATES.get(s.value, str(s.value)) if rc == 0 else f"error {rc}"

    def _call(self, name, pid, timeout_ms=0):
        # Zeroed, and larger than each of the API's argument structs (64 bytes); the lock's
        # first field is its timeout.
        args = (ctypes.c_uint64 * 16)()
        if timeout_ms:
            ctypes.cast(args, ctypes.POINTER(ctypes.c_uint32))[0] = timeout_ms
        started = time.monotonic()
        rc = getattr(self.cu, name)(ctypes.c_int(pid), ctypes.byref(args))
        if rc:
            raise DriverError(f"{name}(pid {pid}) failed with CUDA error {rc} (state: {self.state(pid)})")
        return time.monotonic() - started

    def checkpoint(self, pid, lock_timeout_ms=20000):
        """Seconds spent locking and copying the device memory out."""
        return self._call("cuCheckpointProcessLock", pid, lock_timeout_ms) + self._call("cuCheckpointProcessCheckpoint", pid)

    def restore_thread(self, pid):
        """The thread inside `pid` on which the driver restores it."""
        tid = ctypes.c_int(-1)
        rc = self.cu.cuCheckpointProcessGetRestoreThreadId(ctypes.c_int(pid), ctypes.byref(tid))
        if rc:
            raise DriverError(f"cuCheckpointProcessGetRestoreThreadId(pid {pid}) failed with CUDA error {rc}")
        return tid.value

    def restore(self, pid):
        """Seconds spent copying the device memory back and unlocking."""
        return self._call("cuCheckpointProcessRestore", pid) + self._call("cuCheckpointProcessUnlock", pid)

"""frozen.with_only_thread_running on a real stopped process: one thread runs, its sibling
does not, and continue_tree lets both run again. Needs ptrace over a child (root here)."""
import os, signal, subprocess, sys, tempfile, time, unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from vllm_snapshot import frozen  # noqa: E402

WORKER = r"""
import os, sys, threading, time
out = sys.argv[1]
counts = {"a": 0, "b": 0}
def spin(name):
    while True:
        counts[name] += 1
        time.sleep(0.005)
ta = threading.Thread(target=spin, args=("a",), daemon=True); ta.start()
tb = threading.Thread(target=spin, args=("b",), daemon=True); tb.start()
time.sleep(0.1)
with open(out + ".tids", "w") as f: f.write(f"{ta.native_id} {tb.native_id}")
def report(*_):
    with open(out + ".tmp", "w") as f: f.write(f"{counts['a']} {counts['b']}")
    os.replace(out + ".tmp", out)
while True:
    report(); time.sleep(0.01)
"""


class FrozenTests(unittest.TestCase):
    def read(self, path):
        with open(path) as f:
            return [int(x) for x in f.read().split()]

    def test_only_the_named_thread_runs_while_the_process_is_stopped(self):
        tmp = tempfile.mkdtemp()
        out = os.path.join(tmp, "counts")
        proc = subprocess.Popen([sys.executable, "-c", WORKER, out])
        try:
            deadline = time.monotonic() + 30
            while not (os.path.exists(out + ".tids") and os.path.exists(out)) and time.monotonic() < deadline:
                time.sleep(0.05)
            ta, tb = self.read(out + ".tids")
            os.kill(proc.pid, signal.SIGSTOP)
            time.sleep(0.2)

            def state(tid):
                with open(f"/proc/{proc.pid}/task/{tid}/stat") as f:
                    return f.read().rsplit(")", 1)[1].split()[0]

            def while_a_runs():
                time.sleep(0.3)
                return state(ta), state(tb)
            a_state, b_state = frozen.with_only_thread_running(ta, while_a_runs, timeout=30)
            self.assertIn(a_state, ("R", "S"), "the named thread should run")
            self.assertIn(b_state, ("T", "t"), "its sibling should stay stopped")
            self.assertIn(state(tb), ("T", "t"))
            frozen.continue_tree([proc.pid])
            deadline = time.monotonic() + 10
            while state(tb) in ("T", "t") and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertNotIn(state(tb), ("T", "t"), "continue_tree should let the sibling run")
        finally:
            proc.kill(); proc.wait()

    def test_a_thread_that_is_not_there_is_named(self):
        with self.assertRaises(frozen.FrozenError) as e:
            frozen.with_only_thread_running(2 ** 22 + 12345, lambda: None, timeout=1)
        self.assertIn("ptrace(0x4206", str(e.exception))


if __name__ == "__main__":
    unittest.main()

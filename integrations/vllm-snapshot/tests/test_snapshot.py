"""vllm_snapshot against real CRIU and real processes: the loopback vLLM stand-in
(Tests/Standins/fake_vllm.py, with an engine child like vLLM's) is snapshotted and restored.
No GPU here: the stand-in maps no NVIDIA device, so the driver's part is not called; a fake
nvidia-smi on PATH (a real program printing a captured line) gives the host's GPU facts.
CRIU comes from SLLM_CRIU (scripts/fetch-criu.sh); CRIU needs root. Without either the tests
are skipped, unless SLLM_REQUIRE_CRIU=1 (CI), where they fail."""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, unittest, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(PKG))
FAKE = os.path.join(ROOT, "Tests", "Standins", "fake_vllm.py")
H200 = "NVIDIA H200, 580.159.04"


def why_skip():
    if os.geteuid() != 0:
        return "CRIU needs root"
    if not os.environ.get("SLLM_CRIU") and not shutil.which("criu"):
        return "no CRIU (SLLM_CRIU unset; scripts/fetch-criu.sh fetches one)"
    return None


REASON = why_skip()
# CRIU ends a dumped tree and gives each restored process its old pid back: zombies of ended
# trees must be reaped here (orphans come to this process), or their pids stay taken.
sys.path.insert(0, PKG)
from vllm_snapshot import proctree  # noqa: E402
proctree.become_subreaper()
if REASON and os.environ.get("SLLM_REQUIRE_CRIU") == "1":
    raise RuntimeError(f"SLLM_REQUIRE_CRIU=1 but {REASON}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=2):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def session_members(sid):
    out = []
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open(f"/proc/{e}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid and fields[0] != "Z":
                    out.append(int(e))
            except (OSError, IndexError):
                pass
    return out


def wait_for(pred, timeout=60, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proctree.reap()
        if pred():
            return True
        time.sleep(step)
    return False


@unittest.skipIf(REASON, REASON or "")
class SnapshotTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vllm-snapshot-test.")
        self.bin = os.path.join(self.tmp, "bin")
        os.makedirs(self.bin)
        self.set_gpu(H200)
        self.env = dict(os.environ, PYTHONPATH=PKG, PATH=self.bin + os.pathsep + os.environ["PATH"])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.image = os.path.join(self.tmp, "image")
        self.server = None
        self.sessions = []

    def tearDown(self):
        for sid in self.sessions:
            for pid in session_members(sid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if self.server:
            self.server.wait(timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def set_gpu(self, line):
        """A real nvidia-smi stand-in: a program that prints this host's captured answer."""
        path = os.path.join(self.bin, "nvidia-smi")
        with open(path + ".tmp", "w") as f:
            f.write(f"#!/bin/sh\necho '{line}'\n")
        os.chmod(path + ".tmp", 0o755)
        os.replace(path + ".tmp", path)

    def start_server(self, *extra):
        # Its own session (as `setsid vllm serve` would), an engine child, output to a file.
        log = open(os.path.join(self.tmp, "server.log"), "w")
        self.server = subprocess.Popen(
            [sys.executable, FAKE, "fake/model", "--port", str(self.port), "--ready-delay", "0.2", "--engine-child",
             "--tokens", "16", *extra], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=os.path.dirname(FAKE))
        self.sessions.append(self.server.pid)
        ok = wait_for(lambda: self._ready(), timeout=60)
        self.assertTrue(ok, "the stand-in did not become ready")
        return self.server.pid

    def _ready(self):
        try:
            return get(self.url + "/v1/models")[0] == 200
        except OSError:
            return False

    def snap(self, *args, timeout=120):
        return subprocess.run([sys.executable, "-m", "vllm_snapshot", *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def create(self, *server_args):
        pid = self.start_server(*server_args)
        r = self.snap("create", "--pid", str(pid), "--image", self.image, "--url", self.url, "--vllm-version", "0.26.0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.server.wait(timeout=10)  # CRIU ended the tree after the dump: reap it, so its pid is free
        self.assertTrue(wait_for(lambda: session_members(pid) == [] and not any(
            proctree.zombie(p) for p in json.load(open(os.path.join(self.image, "snapshot-image.json")))["pids"]), timeout=10),
            "the dumped server is still running")
        return pid, json.loads(r.stdout.strip().splitlines()[-1])

    def start_restore(self, *extra):
        proc = subprocess.Popen([sys.executable, "-m", "vllm_snapshot", "restore", "--image", self.image,
                                 "--vllm-version", "0.26.0", "--stop-grace", "2", *extra],
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return proc

    def first_line(self, proc):
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            self.fail("the restorer printed nothing: " + proc.stderr.read())
        return json.loads(line)

    def test_restored_server_answers_like_the_original_and_stops_with_its_restorer(self):
        pid, created = self.create()
        self.assertEqual(created["step"], "created")
        self.assertGreater(created["image_bytes"], 0)
        meta = json.load(open(os.path.join(self.image, "snapshot-image.json")))
        self.assertEqual(meta["gpu"], "NVIDIA H200")
        self.assertEqual(meta["driver"], "580.159.04")
        self.assertEqual(len(meta["pids"]), 2, "the server and its engine child")
        self.assertEqual(meta["cuda_pids"], [])
        proc = self.start_restore()
        restored = self.first_line(proc)
        self.assertEqual(restored["step"], "restored")
        self.assertEqual(restored["pid"], pid)
        self.assertEqual(get(self.url + "/v1/models")[0], 200)
        self.assertEqual(sorted(session_members(pid)), sorted(meta["pids"]))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0, proc.stderr.read())
        self.assertEqual(session_members(pid), [], "the restored server outlived its restorer")

    def test_the_image_restores_again_after_a_stop(self):
        pid, _ = self.create()
        for _ in range(2):
            proc = self.start_restore()
            self.assertEqual(self.first_line(proc)["step"], "restored")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 0)
            self.assertTrue(wait_for(lambda: session_members(pid) == [], timeout=10))

    def test_a_deleted_semaphore_is_kept_so_the_image_restores_more_than_once(self):
        # vLLM holds multiprocessing locks: POSIX semaphores mapped from /dev/shm after their
        # unlink. CRIU dumps them through a link_remap file and uses it up on restore.
        # Here CRIU keeps such a small file's bytes in the image (a ghost file); on the lent H200
        # it linked it to /dev/shm/link_remap.N instead, which the next test covers.
        pid, _ = self.create("--hold-semaphore")
        meta = json.load(open(os.path.join(self.image, "snapshot-image.json")))
        for _ in range(2):
            proc = self.start_restore()
            self.assertEqual(self.first_line(proc)["step"], "restored")
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=30), 0)
            self.assertTrue(wait_for(lambda: session_members(pid) == [], timeout=10))
        for path in meta["link_remaps"]:
            if os.path.exists(path):
                os.unlink(path)

    def test_link_remap_files_are_kept_and_put_back(self):
        from vllm_snapshot import cli
        shm = os.path.join(self.tmp, "shm")
        os.makedirs(shm)
        os.makedirs(self.image)
        before = {shm: set(os.listdir(shm))}
        with open(os.path.join(shm, "link_remap.7"), "w") as f:
            f.write("semaphore bytes")
        with open(os.path.join(shm, "unrelated"), "w") as f:
            f.write("x")
        kept = cli.keep_link_remaps(self.image, before)
        self.assertEqual(kept, [os.path.join(shm, "link_remap.7")])
        os.unlink(kept[0])  # a restore uses it up
        cli.put_back_link_remaps(self.image, kept)
        self.assertEqual(open(kept[0]).read(), "semaphore bytes")

    def test_a_stopped_restorer_leaves_no_pid_taken(self):
        # On the lent H200 the next run started 0.1 s after a stop and found two of the image's
        # pids held by zombies that init never reaped: the restorer must reap its whole tree.
        pid, _ = self.create()
        meta = json.load(open(os.path.join(self.image, "snapshot-image.json")))
        proc = self.start_restore()
        self.assertEqual(self.first_line(proc)["step"], "restored")
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)
        taken = [p for p in meta["pids"] if os.path.exists(f"/proc/{p}")]
        self.assertEqual(taken, [], "pids still taken (alive or unreaped) after the restorer ended")
        proc = self.start_restore()
        self.assertEqual(self.first_line(proc)["step"], "restored")
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)

    def test_kill_9_of_the_restorer_still_stops_the_server(self):
        pid, _ = self.create()
        proc = self.start_restore()
        self.assertEqual(self.first_line(proc)["step"], "restored")
        proc.kill()
        proc.wait(timeout=10)
        self.assertTrue(wait_for(lambda: session_members(pid) == [], timeout=30),
                        f"left running: {session_members(pid)}")

    def test_another_gpu_or_driver_is_refused_before_anything_runs(self):
        pid, _ = self.create()
        self.set_gpu("NVIDIA H100 80GB HBM3, 570.86.15")
        r = self.snap("restore", "--image", self.image, "--vllm-version", "0.26.0")
        self.assertEqual(r.returncode, 2)
        self.assertIn("gpu: the image was made with 'NVIDIA H200', this host has 'NVIDIA H100 80GB HBM3'", r.stderr)
        self.assertIn("driver: the image was made with '580.159.04', this host has '570.86.15'", r.stderr)
        self.assertEqual(session_members(pid), [])
        self.assertFalse(os.path.exists(os.path.join(self.image, "restore.log")), "CRIU ran")

    def test_another_vllm_version_is_refused(self):
        self.create()
        r = self.snap("restore", "--image", self.image, "--vllm-version", "0.27.0")
        self.assertEqual(r.returncode, 2)
        self.assertIn("vllm: the image was made with '0.26.0', this host has '0.27.0'", r.stderr)

    def test_a_changed_answer_fails_the_restore_and_leaves_nothing_running(self):
        pid, _ = self.create()
        path = os.path.join(self.image, "snapshot-image.json")
        meta = json.load(open(path))
        meta["reference"]["text"] = " not what it said"
        json.dump(meta, open(path, "w"))
        proc = self.start_restore()
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("greedy completion differs from the image's", err)
        self.assertIn("' not what it said'", err)
        self.assertEqual(session_members(pid), [])

    def test_a_broken_image_fails_with_criu_s_log_and_leaves_nothing_running(self):
        pid, _ = self.create()
        for name in os.listdir(self.image):
            if name.startswith("pages-"):
                os.unlink(os.path.join(self.image, name))
        proc = self.start_restore()
        out, err = proc.communicate(timeout=120)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("criu restore exited", err)
        self.assertIn("its log:", err)
        self.assertEqual(session_members(pid), [])

    def test_a_folder_without_room_is_refused_before_writing_and_the_server_goes_on(self):
        small = os.path.join(self.tmp, "small")
        os.makedirs(small)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small], check=True)
        self.addCleanup(subprocess.run, ["umount", small])
        pid = self.start_server()
        r = self.snap("create", "--pid", str(pid), "--image", os.path.join(small, "img"), "--url", self.url)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertRegex(r.stderr, r"has 0\.00 GiB free; the image needs about \d+\.\d\d GiB \(host memory .* \+ GPU memory 0\.00 GiB, \+10 %\): nothing was written")
        self.assertEqual(os.listdir(os.path.join(small, "img")), [])
        self.assertEqual(get(self.url + "/v1/models")[0], 200, "the server should go on")

    def test_a_server_that_is_not_a_session_leader_is_refused(self):
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            r = self.snap("create", "--pid", str(proc.pid), "--image", self.image, "--url", self.url)
            self.assertEqual(r.returncode, 2)
            self.assertIn("is not a session leader", r.stderr)
        finally:
            proc.kill(); proc.wait()

    def test_inspect_and_a_folder_that_is_no_image(self):
        r = self.snap("inspect", "--image", self.tmp)
        self.assertEqual(r.returncode, 2)
        self.assertIn("snapshot-image.json: no such file", r.stderr)


if __name__ == "__main__":
    unittest.main()

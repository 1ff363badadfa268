"""The template's rules, against real processes, a real Unix socket and the loopback stand-in
(Tests/Standins/fake_vllm.py), on CPU."""
import gc
import importlib
import io
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
SCRIPTS = os.path.join(PKG, "..", "..", "Tests", "Standins")
FAKE = os.path.join(SCRIPTS, "fake_vllm.py")
sys.path.insert(0, PKG)

from vllm_template import protocol, sampler  # noqa: E402
from vllm_template import template as template_module  # noqa: E402
from vllm_template import __main__ as cli_main  # noqa: E402
from vllm_template.template import Refused, resolve_command, import_time_mismatch  # noqa: E402


_reserved = []


def free_port():
    """A port kept bound (not listening) by this process until it exits: closed before the
    server binds it, a parallel test run or a client's ephemeral port could take it. The
    stand-in sets SO_REUSEADDR, as the reservation does, so it can still bind and listen."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    _reserved.append(s)
    return s.getsockname()[1]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def readpid(path):
    with open(path) as f:
        return int(f.read())


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


class TemplateCase(unittest.TestCase):
    IMPORT_DELAY = "1.0"

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tpl-test-")
        os.chmod(self.dir, 0o700)
        self.socket = os.path.join(self.dir, "t.sock")
        self.env = dict(os.environ)
        self.env["PYTHONPATH"] = os.pathsep.join([PKG, SCRIPTS, os.path.join(HERE, "fake_torch")])
        self.env["FAKE_VLLM_IMPORT_DELAY"] = self.IMPORT_DELAY
        for name in protocol.IMPORT_TIME_VARIABLES:
            self.env.pop(name, None)
        self.procs = []

    def tearDown(self):
        # Whatever a test left (a server whose stop failed an assertion): stop by recorded pid.
        for name in os.listdir(self.dir):
            if name.endswith(".jsonl"):
                for e in self.events(os.path.join(self.dir, name)):
                    if e.get("pid"):
                        try:
                            os.kill(e["pid"], signal.SIGKILL)
                        except ProcessLookupError:
                            pass
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args, env=None, **kw):
        return subprocess.run([sys.executable, "-m", "vllm_template", *args], env=env or self.env,
                              capture_output=True, text=True, timeout=60, **kw)

    def start_template(self, *extra, preload=("fake_vllm_imports",), watch="fake_vllm_imports", env=None):
        args = [sys.executable, "-m", "vllm_template", "serve", "--socket", self.socket, "--watch", watch]
        for m in preload:
            args += ["--preload", m]
        p = subprocess.Popen(args + list(extra), env=env or self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
        self.procs.append(p)
        line = p.stdout.readline()
        self.assertIn("ready", line, p.stderr.read() if not line else line)
        return p

    def run_server(self, *server_args, env=None, port=None):
        port = port or free_port()
        events = os.path.join(self.dir, f"events-{port}.jsonl")
        pidfile = os.path.join(self.dir, f"pid-{port}")
        argv = [sys.executable, "-m", "vllm_template", "run", "--socket", self.socket, "--pid-file", pidfile, "--",
                sys.executable, FAKE, "--port", str(port), "--ready-delay", "0.2", "--events", events, *server_args]
        p = subprocess.Popen(argv, env=env or self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
        self.procs.append(p)
        return p, port, events, pidfile

    def events(self, path):
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    def ready(self, port):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False


class SocketRules(TemplateCase):
    def test_socket_is_0600_and_ours(self):
        self.start_template()
        st = os.lstat(self.socket)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(st.st_mode & 0o777, 0o600)
        self.assertEqual(st.st_uid, os.getuid())

    def test_another_users_socket_is_refused(self):
        self.start_template()
        with self.assertRaises(protocol.UnsafeSocket) as e:
            protocol.check_socket_owner(self.socket, uid=os.getuid() + 1)
        self.assertIn("owned by uid", str(e.exception))
        protocol.check_socket_owner(self.socket)  # ours: no error

    def test_a_socket_others_can_open_is_refused(self):
        self.start_template()
        os.chmod(self.socket, 0o666)
        r = self.cli("status", "--socket", self.socket)
        self.assertEqual(r.returncode, protocol.EXIT_UNSAFE_SOCKET, r.stderr)
        self.assertIn("0600", r.stderr)

    def test_no_template_is_named(self):
        r = self.cli("status", "--socket", self.socket)
        self.assertEqual(r.returncode, protocol.EXIT_UNREACHABLE)
        self.assertIn("no template listens", r.stderr)

    def test_a_second_template_on_the_same_socket_is_refused(self):
        self.start_template()
        p = subprocess.run([sys.executable, "-m", "vllm_template", "serve", "--socket", self.socket, "--preload",
                            "fake_vllm_imports"], env=self.env, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, protocol.EXIT_REFUSED)
        self.assertIn("already listens", p.stderr)


class Forking(TemplateCase):
    def test_server_inherits_the_imports_and_skips_their_cost(self):
        # 4 s of imports here: a margin a loaded machine does not cross (1 s was crossed).
        self.env["FAKE_VLLM_IMPORT_DELAY"] = "4.0"
        t = self.start_template()
        started = time.monotonic()
        client, port, events, pidfile = self.run_server()
        self.assertTrue(wait_for(lambda: self.ready(port)), client.stderr.read() if client.poll() is not None else "")
        elapsed = time.monotonic() - started
        start = [e for e in self.events(events) if e["event"] == "start"][0]
        self.assertTrue(start["imports_inherited"])
        # The stand-in's import costs 4 s; the forked server never pays it.
        self.assertLess(elapsed, 4.0)
        pid = readpid(pidfile)
        self.assertEqual(pid, start["pid"])
        self.assertEqual(os.getpgid(pid), pid)  # its own process group
        self.assertNotEqual(pid, t.pid)

    def test_gc_freeze_and_stack_samples_are_per_server_knobs(self):
        self.start_template()
        stacks = os.path.join(self.dir, "stacks")
        plain, port, events, _ = self.run_server()
        self.assertTrue(wait_for(lambda: self.ready(port)))
        env = dict(self.env, VLLM_TEMPLATE_GC_FREEZE="1", VLLM_TEMPLATE_STACKS=stacks)
        knobbed, port2, events2, _ = self.run_server("--engine-child", env=env)
        self.assertTrue(wait_for(lambda: self.ready(port2)))
        self.assertEqual([e["gc_frozen"] for e in self.events(events) if e["event"] == "start"], [0])
        frozen = [e["gc_frozen"] for e in self.events(events2) if e["event"] == "start"]
        self.assertEqual(len(frozen), 1)
        self.assertGreater(frozen[0], 1000)  # the template's imports, frozen in the fork
        engine = [e for e in self.events(events2) if e["event"] == "engine"][0]["pid"]
        server = [e for e in self.events(events2) if e["event"] == "start"][0]["pid"]
        # The server and the engine it forked each sample their own main thread.
        for pid in (server, engine):
            path = os.path.join(stacks, f"stacks-{pid}.txt")
            self.assertTrue(wait_for(lambda: len(sampler.read(path)[1]) >= 5), path)
        self.assertEqual(sorted(os.listdir(stacks)), sorted(f"stacks-{pid}.txt" for pid in (server, engine)))
        self.assertTrue(any("fake_vllm.py" in f for _, frames in sampler.read(os.path.join(stacks, f"stacks-{server}.txt"))[1] for f in frames))
        out = io.StringIO()
        sampler.report(stacks, out=out)
        self.assertIn(f"stacks-{server}.txt", out.getvalue())
        self.assertRegex(out.getvalue(), r"\+ *0\.0s")

    def test_stopping_the_client_stops_the_server_and_all_it_started(self):
        t = self.start_template()
        client, port, events, pidfile = self.run_server("--engine-child")
        self.assertTrue(wait_for(lambda: self.ready(port)))
        engine = [e for e in self.events(events) if e["event"] == "engine"][0]["pid"]
        server = readpid(pidfile)
        client.send_signal(signal.SIGTERM)
        self.assertEqual(client.wait(timeout=15), 0)  # the server's own exit status
        self.assertTrue(wait_for(lambda: not alive(server) and not alive(engine)))
        self.assertIsNone(t.poll())  # the template survives the restart
        self.assertEqual(json.loads(self.cli("status", "--socket", self.socket, "--json").stdout)["children"], [])

    def test_a_killed_client_takes_its_server_with_it(self):
        self.start_template()
        client, port, events, pidfile = self.run_server("--engine-child")
        self.assertTrue(wait_for(lambda: self.ready(port)))
        engine = [e for e in self.events(events) if e["event"] == "engine"][0]["pid"]
        client.send_signal(signal.SIGKILL)
        client.wait()
        self.assertTrue(wait_for(lambda: not alive(readpid(pidfile)) and not alive(engine), timeout=15))

    def test_the_servers_exit_status_comes_back(self):
        self.start_template()
        client, port, _, _ = self.run_server("--crash-after", "0.1", "--exit-code", "3")
        self.assertEqual(client.wait(timeout=15), 3)

    def test_stopping_the_template_stops_its_servers(self):
        t = self.start_template()
        client, port, events, pidfile = self.run_server("--engine-child")
        self.assertTrue(wait_for(lambda: self.ready(port)))
        engine = [e for e in self.events(events) if e["event"] == "engine"][0]["pid"]
        os.killpg(t.pid, signal.SIGTERM)
        t.wait(timeout=20)
        self.assertTrue(wait_for(lambda: not alive(engine) and not alive(readpid(pidfile)), timeout=15))
        self.assertFalse(os.path.exists(self.socket))

    def test_a_killed_template_is_named_by_the_client(self):
        t = self.start_template()
        client, port, events, pidfile = self.run_server("--engine-child")
        self.assertTrue(wait_for(lambda: self.ready(port)))
        engine = [e for e in self.events(events) if e["event"] == "engine"][0]["pid"]
        os.kill(t.pid, signal.SIGKILL)
        self.assertEqual(client.wait(timeout=15), protocol.EXIT_UNREACHABLE)
        self.assertIn("went away", client.stderr.read())
        self.assertTrue(wait_for(lambda: not alive(engine), timeout=15))


class Refusals(TemplateCase):
    def test_cuda_initialised_at_import_refuses_to_start(self):
        p = subprocess.run([sys.executable, "-m", "vllm_template", "serve", "--socket", self.socket,
                            "--preload", "fake_vllm_imports", "--preload", "touches_cuda"],
                           env=self.env, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, protocol.EXIT_REFUSED)
        self.assertIn("importing touches_cuda initialised CUDA", p.stderr)
        self.assertFalse(os.path.exists(self.socket))

    def test_stale_template_refuses_with_the_fix(self):
        mod_dir = os.path.join(self.dir, "mods")
        os.makedirs(mod_dir)
        with open(os.path.join(mod_dir, "watched_pkg.py"), "w") as f:
            f.write("VERSION = 1\n")
        env = dict(self.env, PYTHONPATH=self.env["PYTHONPATH"] + os.pathsep + mod_dir)
        self.start_template(preload=("fake_vllm_imports", "watched_pkg"), watch="watched_pkg", env=env)
        self.assertEqual(self.cli("status", "--socket", self.socket, env=env).returncode, 0)
        time.sleep(0.01)
        with open(os.path.join(mod_dir, "watched_pkg.py"), "w") as f:
            f.write("VERSION = 22\n")
        st = self.cli("status", "--socket", self.socket, env=env)
        self.assertEqual(st.returncode, 1)
        self.assertIn("stale: yes", st.stdout)
        client, port, _, _ = self.run_server(env=env)
        self.assertEqual(client.wait(timeout=15), protocol.EXIT_REFUSED)
        err = client.stderr.read()
        self.assertIn("stale", err)
        self.assertIn("Restart the template", err)

    def test_import_time_variables_must_match(self):
        self.start_template()
        env = dict(self.env, HF_HUB_OFFLINE="1")
        client, port, _, _ = self.run_server(env=env)
        self.assertEqual(client.wait(timeout=15), protocol.EXIT_REFUSED)
        self.assertIn("HF_HUB_OFFLINE=1 asked", client.stderr.read())

    def test_other_pythons_and_shell_commands_are_refused(self):
        with self.assertRaises(Refused):
            resolve_command(["/bin/sh", "-c", "exec vllm serve"], sys.executable)
        with self.assertRaises(Refused):
            resolve_command(["/usr/bin/python2", "-m", "x"], "/nonexistent/python3")
        self.assertEqual(resolve_command([sys.executable, "-u", "-m", "vllm.entrypoints.cli.main", "serve", "m"], sys.executable),
                         ("module", "vllm.entrypoints.cli.main", ["vllm.entrypoints.cli.main", "serve", "m"]))
        self.assertEqual(resolve_command(["/x/bin/vllm", "serve", "m"], sys.executable)[1], "vllm.entrypoints.cli.main")
        self.assertEqual(import_time_mismatch({"HF_HOME": "/a"}, {"HF_HOME": "/a"}), [])


class ManagedServer(TemplateCase):
    def test_restart_forks_a_new_server_and_stops_the_old_group(self):
        port = free_port()
        events = os.path.join(self.dir, "managed.jsonl")
        t = self.start_template("--server", sys.executable, FAKE, "--port", str(port), "--ready-delay", "0.2",
                                "--events", events, "--engine-child")
        self.assertTrue(wait_for(lambda: self.ready(port)))
        first = [e for e in self.events(events) if e["event"] in ("start", "engine")]
        r = self.cli("restart", "--socket", self.socket)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("server restarted", r.stdout)
        self.assertTrue(wait_for(lambda: self.ready(port)))
        for e in first:
            self.assertTrue(wait_for(lambda: not alive(e["pid"])), e)
        starts = [e for e in self.events(events) if e["event"] == "start"]
        self.assertEqual(len(starts), 2)
        self.assertTrue(all(s["imports_inherited"] for s in starts))
        self.assertIsNone(t.poll())
        # A killed template takes its server with it (nothing runs on unwatched).
        os.kill(t.pid, signal.SIGKILL)
        t.wait()
        self.assertTrue(wait_for(lambda: not alive(starts[-1]["pid"]), timeout=15))


if __name__ == "__main__":
    unittest.main()


class Bounds(TemplateCase):
    def test_an_endless_line_is_cut_off_and_the_template_serves_on(self):
        p = self.start_template()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.socket)
        s.settimeout(10)
        chunk = b"x" * 65536
        reply = b""
        try:
            for _ in range((protocol.MAX_MESSAGE // len(chunk)) + 4):
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass   # cut off while we were still sending
        try:
            while not reply.endswith(b"\n"):
                data = s.recv(4096)
                if not data:
                    break
                reply += data
        except ConnectionResetError:
            pass
        s.close()
        if reply:
            self.assertIn("connection closed", json.loads(reply)["error"])
        # The template itself is still up and answers its own user.
        status = self.cli("status", "--socket", self.socket, "--json")
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIsNone(p.poll())

    def test_the_client_names_a_template_that_never_answers(self):
        # A listener on our socket that accepts and never answers: the client's limit ends it.
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(self.socket)
        os.chmod(self.socket, 0o600)
        srv.listen(1)
        self.addCleanup(srv.close)
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(self.socket)
        self.addCleanup(client.close)
        old, protocol.REPLY_TIMEOUT_S = protocol.REPLY_TIMEOUT_S, 0.3
        self.addCleanup(setattr, protocol, "REPLY_TIMEOUT_S", old)
        started = time.monotonic()
        with self.assertRaises(SystemExit) as e:
            cli_main.first_reply(client, protocol.LineReader(client), self.socket)
        self.assertEqual(e.exception.code, protocol.EXIT_UNREACHABLE)
        self.assertLess(time.monotonic() - started, 5)

    def test_a_reader_refuses_an_endless_line(self):
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        b.settimeout(10)

        def feed():
            try:
                for _ in range((protocol.MAX_MESSAGE // 65536) + 2):
                    a.sendall(b"y" * 65536)
            except OSError:
                pass
        t = threading.Thread(target=feed, daemon=True)
        t.start()
        with self.assertRaises(protocol.ProtocolError):
            protocol.LineReader(b).read()


class WarmedInTheTemplate(unittest.TestCase):
    """What the template computes once for every fork: triton's cache key (a fake triton here)."""

    def setUp(self):
        sys.path.insert(0, os.path.join(HERE, "fake_triton"))
        for name in [m for m in sys.modules if m == "triton" or m.startswith("triton.")]:
            del sys.modules[name]

    def tearDown(self):
        sys.path.remove(os.path.join(HERE, "fake_triton"))
        for name in [m for m in sys.modules if m == "triton" or m.startswith("triton.")]:
            del sys.modules[name]

    def in_fork(self, env):
        """How often the fork computed the key after apply_child_knobs(env): its exit status."""
        cache = importlib.import_module("triton.runtime.cache")
        pid = os.fork()
        if pid == 0:
            before = len(cache.COMPUTED_BY)
            template_module.apply_child_knobs(env)
            cache.triton_key()
            os._exit(len(cache.COMPUTED_BY) - before)
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

    def test_the_key_is_computed_once_and_inherited(self):
        t = template_module.Template(os.path.join(tempfile.mkdtemp(), "s"), preload=["triton"], watch=[])
        t.load()
        cache = importlib.import_module("triton.runtime.cache")
        self.assertEqual(cache.COMPUTED_BY, [os.getpid()])
        self.assertEqual([name for name, _ in t.warmed], ["triton_key"])
        self.assertEqual(self.in_fork({}), 0)
        self.assertEqual(self.in_fork({"VLLM_TEMPLATE_TRITON_KEY": "recompute"}), 1)

    def test_no_triton_imported_means_nothing_warmed(self):
        t = template_module.Template(os.path.join(tempfile.mkdtemp(), "s"), preload=["json"], watch=[])
        t.load()
        self.assertEqual(t.warmed, [])
        self.assertNotIn("triton", sys.modules)


class SamplerAndKnobInput(unittest.TestCase):
    """What a server's environment or a stacks folder may hold that the sampler must not trust."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tpl-sampler-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_a_link_planted_at_the_samples_name_is_not_written_through(self):
        precious = os.path.join(self.dir, "precious")
        with open(precious, "w") as f:
            f.write("precious\n")
        folder = os.path.join(self.dir, "stacks")
        os.mkdir(folder)
        os.symlink(precious, os.path.join(folder, f"stacks-{os.getpid()}.txt"))
        with self.assertRaises(sampler.Refused) as e:
            sampler.start(folder)
        self.assertIn("not written over", str(e.exception))
        with open(precious) as f:
            self.assertEqual(f.read(), "precious\n")

    def test_a_knob_that_cannot_apply_is_said_in_one_line_and_the_server_goes_on(self):
        afile = os.path.join(self.dir, "afile")
        open(afile, "w").close()
        said = []
        template_module.apply_child_knobs({"VLLM_TEMPLATE_STACKS": afile, "VLLM_TEMPLATE_GC_FREEZE": "true",
                                           "VLLM_TEMPLATE_TRITON_KEY": "recomput"}, say=said.append)
        self.assertEqual(len(said), 3, said)
        self.assertTrue(any("VLLM_TEMPLATE_GC_FREEZE='true' ignored: expected 1 or 0" in m for m in said), said)
        self.assertTrue(any("VLLM_TEMPLATE_TRITON_KEY='recomput' ignored" in m for m in said), said)
        self.assertTrue(any(m.startswith("VLLM_TEMPLATE_STACKS: no stack samples") for m in said), said)
        self.assertEqual(gc.get_freeze_count(), 0)

    def test_a_report_skips_what_is_not_a_sample_and_shows_control_characters(self):
        folder = os.path.join(self.dir, "s")
        os.mkdir(folder)
        lines = ["# pid 7 main 1 argv x", "# pid", "nan 1 a@b.py:1", "1e300 1 a@b.py:1", "abc 1 a@b.py:1", "12 1", "5 2 other@t.py:1"]
        lines += [f"{1000 + i * 0.01:.4f} 1 run@srv.py:1;f\x1b[2J@x.py:{i}" for i in range(30)]
        with open(os.path.join(folder, "stacks-7.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(os.path.join(folder, "stacks-8.txt"), "w") as f:
            f.write("# pid 8 main 1 argv y\n1000.0 1 a@b.py:1\n")
        os.mkfifo(os.path.join(folder, "stacks-9.txt"))
        out = io.StringIO()
        sampler.report(folder, out=out)
        text = out.getvalue()
        self.assertIn("## stacks-7.txt: 30 samples of the main thread", text)
        self.assertIn("<U+001B>[2J", text)
        self.assertNotIn("\x1b", text)
        self.assertIn("## stacks-8.txt: 1 samples of the main thread, too few", text)
        self.assertIn("## stacks-9.txt: not read", text)
        self.assertRegex(text, r"\n00:16:40\.000 \+  0\.0s")

    def test_the_report_command_refuses_with_one_line(self):
        for argv, needle in [(["report", os.path.join(self.dir, "nosuch")], "no such folder"),
                             (["report", self.dir, "0"], "expected seconds above 0"),
                             (["report", self.dir, "abc"], "expected seconds such as 0.1"),
                             (["nope"], "usage")]:
            r = subprocess.run([sys.executable, "-m", "vllm_template.sampler", *argv], capture_output=True, text=True,
                               timeout=30, env=dict(os.environ, PYTHONPATH=PKG))
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn(needle, r.stderr)
            self.assertNotIn("Traceback", r.stderr)

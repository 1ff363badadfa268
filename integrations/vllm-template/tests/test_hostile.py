"""The template survives whatever its own user sends (issue 29): a bad line gets one error reply
and its connection closes, a flood of connections does not exhaust its descriptors, and a server's
whole process tree dies with the client that asked for it, even when the template and the client
are killed together. Real processes, a real socket and /proc; deadlines are generous, since the
suite runs beside other work on two cores."""
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time

from test_template import FAKE, HERE, TemplateCase, alive, readpid, wait_for
from vllm_template import protocol

TREE = os.path.join(HERE, "tree_server.py")
CONNECTIONS = 1100


def descendants(root):
    """Every live process below `root`, from /proc (ppid links)."""
    parents = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(name))
    out, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def with_nofile(limit):
    """A preexec_fn giving the child `limit` descriptors (soft and hard): EMFILE comes on cue."""
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))


class HostileCase(TemplateCase):
    def setUp(self):
        super().setUp()
        # The test itself holds over CONNECTIONS sockets at once.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = CONNECTIONS + 256
        if soft < want:
            if hard != resource.RLIM_INFINITY and hard < want:
                self.skipTest(f"RLIMIT_NOFILE hard limit {hard} < {want}")
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))

    def start_template_with(self, *extra, preexec_fn=None):
        args = [sys.executable, "-m", "vllm_template", "serve", "--socket", self.socket, "--watch",
                "fake_vllm_imports", "--preload", "fake_vllm_imports", *extra]
        p = subprocess.Popen(args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, preexec_fn=preexec_fn)
        self.procs.append(p)
        line = p.stdout.readline()
        self.assertIn("ready", line, p.stderr.read() if not line else line)
        return p

    def connect(self, timeout=30):
        """A connection, waiting while the listen backlog is full (EAGAIN on a Unix socket)."""
        deadline = time.monotonic() + 60
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(self.socket)
                break
            except BlockingIOError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.005)
            except OSError:
                s.close()
                raise
        s.settimeout(timeout)
        return s

    def exchange(self, payload, fds=None):
        """Sends `payload`, reads until the template closes: (its reply lines, whether it closed)."""
        s = self.connect()
        try:
            try:
                if fds:
                    socket.send_fds(s, [payload], fds)
                else:
                    s.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass
            data = b""
            closed = False
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        closed = True
                        break
                    data += chunk
            except ConnectionResetError:
                closed = True
            except socket.timeout:
                pass
            return [json.loads(line) for line in data.splitlines() if line.strip()], closed
        finally:
            s.close()

    def start_server_ready(self):
        client, port, events, pidfile = self.run_server("--engine-child")
        self.assertTrue(wait_for(lambda: self.ready(port), timeout=30),
                        client.stderr.read() if client.poll() is not None else "not ready")
        engine = [e for e in self.events(events) if e["event"] == "engine"][0]["pid"]
        return client, port, readpid(pidfile), engine

    def assert_serving(self, template, client, port):
        self.assertIsNone(template.poll(), "the template died")
        self.assertIsNone(client.poll(), "the other client's server ended")
        self.assertTrue(self.ready(port), "the other client's server stopped answering")
        status = self.cli("status", "--socket", self.socket, "--json")
        self.assertEqual(status.returncode, 0, status.stderr)


class BadLines(HostileCase):
    CASES = [
        # (what is sent, what the error must name)
        (b"[]\n", "expected a JSON object"),
        (b"1\n", "expected a JSON object"),
        (b'"x"\n', "expected a JSON object"),
        (b"null\n", "expected a JSON object"),
        (b"not json\n", "not JSON"),
        (b"\xff\xfe{}\n", "not UTF-8"),
        (b"[" * 100_000 + b"\n", "nested deeper than"),
        (b'{"a":' * 50_000 + b"\n", "nested deeper than"),
        (b'{"op": 5}\n', 'expected "op"'),
        (b'{"op": "reboot"}\n', 'expected "op"'),
        (b'{"op": "spawn", "argv": "python"}\n', '"argv"'),
        (b'{"op": "spawn", "argv": [1]}\n', '"argv"'),
        (b'{"op": "spawn", "argv": []}\n', '"argv"'),
        (b'{"op": "spawn", "argv": ["python"], "env": {"A": 1}}\n', '"env"'),
        (b'{"op": "spawn", "argv": ["python"], "env": ["A=1"]}\n', '"env"'),
        (b'{"op": "spawn", "argv": ["python"], "env": {"A=B": "1"}}\n', '"env"'),
        (b'{"op": "spawn", "argv": ["py\\u0000thon"], "env": {}}\n', '"argv"'),
        (b'{"op": "spawn", "argv": ["python"], "env": {}, "cwd": 7}\n', '"cwd"'),
        (b"{" + b" " * (protocol.MAX_MESSAGE + 10) + b"}\n", "over"),
    ]

    def test_each_bad_line_gets_one_error_and_its_connection_closes(self):
        template = self.start_template()
        client, port, _, _ = self.start_server_ready()
        fds_before = open_fds(template.pid)
        for payload, named in self.CASES:
            with self.subTest(payload[:40]):
                replies, closed = self.exchange(payload)
                self.assertEqual(len(replies), 1, replies)
                self.assertFalse(replies[0]["ok"])
                self.assertIn(named, replies[0]["error"])
                self.assertNotIn("\n", replies[0]["error"])
                self.assertTrue(closed, "the connection stayed open after a bad line")
                self.assertIsNone(template.poll(), f"the template died on {payload[:40]!r}")
        self.assert_serving(template, client, port)
        self.assertTrue(wait_for(lambda: open_fds(template.pid) <= fds_before, timeout=30),
                        f"{open_fds(template.pid)} descriptors open, {fds_before} before")

    def test_descriptors_sent_with_a_bad_line_are_closed(self):
        template = self.start_template()
        fds_before = open_fds(template.pid)
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        for payload in (b"[]\n", b'{"op": "spawn", "argv": 3}\n', b'{"op": "status"}\n'):
            replies, closed = self.exchange(payload, fds=[r, w, r])
            self.assertEqual(len(replies), 1, replies)
            self.assertTrue(closed)
        self.assertTrue(wait_for(lambda: open_fds(template.pid) <= fds_before, timeout=30),
                        f"{open_fds(template.pid)} descriptors open, {fds_before} before")

    def test_a_spawn_with_wrong_field_types_never_forks(self):
        # With stdin, stdout and stderr sent, these reached the fork before: a number as env value
        # or cwd (os.chdir(7) is fchdir on the template's descriptor 7), a name with "=".
        template = self.start_template()
        py = json.dumps(sys.executable)
        for fields, named in (('"env": {"A": 1}', '"env"'), ('"env": {"A=B": "1"}', '"env"'),
                              ('"env": {}, "cwd": 7', '"cwd"'), ('"env": ["A=1"]', '"env"')):
            with self.subTest(fields):
                r, w = os.pipe()
                try:
                    line = ('{"op": "spawn", "argv": [%s, "-c", "pass"], %s}\n' % (py, fields)).encode()
                    replies, closed = self.exchange(line, fds=[r, w, w])
                finally:
                    os.close(r)
                    os.close(w)
                self.assertEqual(len(replies), 1, replies)
                self.assertFalse(replies[0]["ok"], replies)
                self.assertIn(named, replies[0]["error"])
                self.assertTrue(closed)
        self.assertIsNone(template.poll())

    def test_a_second_request_on_one_connection_is_refused(self):
        template = self.start_template()
        replies, closed = self.exchange(b'{"op": "status"}\n{"op": "status"}\n')
        self.assertEqual(len(replies), 2, replies)
        self.assertTrue(replies[0]["ok"])
        self.assertFalse(replies[1]["ok"])
        self.assertIn("one request per connection", replies[1]["error"])
        self.assertTrue(closed)
        self.assertIsNone(template.poll())

    def test_a_client_that_never_reads_cannot_stall_the_template(self):
        template = self.start_template()
        client, port, _, _ = self.start_server_ready()
        flood = self.connect()
        self.addCleanup(flood.close)
        flood.settimeout(5)
        try:
            for _ in range(200):   # 200 x 16 KiB of status requests; their replies are never read
                flood.sendall(b'{"op": "status"}\n' * 1000)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        self.assert_serving(template, client, port)


class ConnectionFlood(HostileCase):
    def flood(self):
        held = []
        try:
            for _ in range(CONNECTIONS):
                held.append(self.connect())
        except OSError:
            for s in held:
                s.close()
            raise
        return held

    def test_running_out_of_descriptors_does_not_kill_the_template(self):
        # 48 descriptors: the template hits EMFILE long before the idle cap.
        template = self.start_template_with(preexec_fn=with_nofile(48))
        client, port, _, _ = self.start_server_ready()
        held = self.flood()
        try:
            self.assertIsNone(template.poll(), "the template died at EMFILE")
            self.assert_serving(template, client, port)
        finally:
            for s in held:
                s.close()
        self.assert_serving(template, client, port)
        template.send_signal(signal.SIGTERM)
        template.wait(timeout=60)
        self.assertIn("EMFILE", template.stderr.read())

    def test_idle_connections_are_capped(self):
        template = self.start_template_with(preexec_fn=with_nofile(CONNECTIONS * 4))
        client, port, _, _ = self.start_server_ready()
        held = self.flood()
        try:
            self.assertIsNone(template.poll())
            self.assertLessEqual(open_fds(template.pid), 128)   # 1,100 connections held: no more than the cap (64) and its own
            self.assert_serving(template, client, port)
        finally:
            for s in held:
                s.close()


class ProcessTree(HostileCase):
    def assert_tree_ends(self, pids, timeout=60):
        self.assertTrue(wait_for(lambda: not [p for p in pids if alive(p)], timeout=timeout),
                        f"still running: {[p for p in pids if alive(p)]}")

    def test_killing_the_template_and_its_client_together_ends_the_whole_tree(self):
        template = self.start_template()
        client, port, server, engine = self.start_server_ready()
        tree = descendants(template.pid)
        self.assertIn(server, tree)
        self.assertIn(engine, tree)
        os.kill(template.pid, signal.SIGKILL)
        os.kill(client.pid, signal.SIGKILL)
        self.assert_tree_ends(tree)

    def stubborn_tree(self, *extra):
        template = self.start_template_with("--stop-grace", "1", *extra)
        events = os.path.join(self.dir, "tree.jsonl")
        client = subprocess.Popen([sys.executable, "-m", "vllm_template", "run", "--socket", self.socket, "--",
                                   sys.executable, TREE, "--events", events], env=self.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self.procs.append(client)
        self.assertTrue(wait_for(lambda: len(self.events(events)) == 3, timeout=30), self.events(events))
        pids = [e["pid"] for e in self.events(events)]
        self.addCleanup(lambda: [os.kill(p, signal.SIGKILL) for p in pids if alive(p)])
        return template, client, pids

    def test_a_stubborn_tree_ends_when_template_and_client_are_killed(self):
        template, client, pids = self.stubborn_tree()
        tree = descendants(template.pid)
        self.assertTrue(set(pids) <= set(tree), (pids, tree))
        os.kill(template.pid, signal.SIGKILL)
        os.kill(client.pid, signal.SIGKILL)
        self.assert_tree_ends(tree)

    def test_a_stubborn_tree_ends_when_its_client_is_killed(self):
        template, client, pids = self.stubborn_tree()
        os.kill(client.pid, signal.SIGKILL)
        self.assert_tree_ends(pids)
        self.assertIsNone(template.poll())
        self.assertEqual(json.loads(self.cli("status", "--socket", self.socket, "--json").stdout)["children"], [])

    def test_a_stubborn_tree_ends_when_its_server_exits(self):
        template, client, pids = self.stubborn_tree()
        os.kill(pids[0], signal.SIGTERM)   # the server itself exits; its engine and worker would stay
        self.assertEqual(client.wait(timeout=60), 0)
        self.assert_tree_ends(pids)
        self.assertIsNone(template.poll())


class RequestRules(HostileCase):
    def test_brackets_and_escaped_quotes_inside_strings_are_not_nesting(self):
        argv = ["python", "-c", "[" * 40 + '\\"' + "{" * 40]
        line = json.dumps({"op": "spawn", "argv": argv, "env": {"A": '"[{' * 30}, "cwd": None}).encode()
        request = protocol.parse_request(line)
        self.assertEqual(request["argv"], argv)
        self.assertEqual(request["env"], {"A": '"[{' * 30})

    def test_a_real_clients_request_is_taken_as_it_is(self):
        line = json.dumps({"op": "spawn", "argv": [sys.executable, FAKE], "env": dict(self.env), "cwd": os.getcwd()})
        self.assertEqual(protocol.parse_request(line.encode())["env"], self.env)
        self.assertEqual(protocol.parse_request(b'{"op": "status"}'), {"op": "status"})
        self.assertEqual(protocol.parse_request(b'{"op": "spawn", "argv": ["x"]}')["env"], {})
        with self.assertRaises(protocol.BadRequest):
            protocol.parse_request(b'{"op": "spawn", "argv": ["x"], "env": {"A": "\\ud800"}}')
        with self.assertRaises(protocol.BadRequest):
            protocol.parse_request(b'{"op": "spawn", "argv": ["x"], "env": {"": "1"}}')

    def test_a_request_sent_in_small_pieces_is_answered(self):
        template = self.start_template()
        s = self.connect()
        self.addCleanup(s.close)
        line = json.dumps({"op": "status", "padding": "x" * 3000}).encode() + b"\n"
        for i in range(0, len(line), 3):
            s.sendall(line[i:i + 3])
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = s.recv(65536)
            self.assertTrue(chunk, "closed without an answer")
            reply += chunk
        self.assertTrue(json.loads(reply)["ok"])
        self.assertIsNone(template.poll())

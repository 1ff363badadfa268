import Foundation
import Testing
import TestSupport
@testable import DoctorCore
@testable import Runbook
import Basics
import Checks
import SystemProbes

/// runtime.compose and runtime.containers talk to the engine over its socket (issue 24): the
/// faults a socket can have, each on a real Unix socket (a listener that accepts and never
/// answers, a file that is not a socket, a socket nothing listens on, one this user may not
/// open). The real engine's answers are covered by the docker tests (ComposeBenchTests).
@Suite("docker engine over its socket")
struct DockerEngineSocketTests {
    static let hasCompose = ComposeCLI.locate(environment: ProcessInfo.processInfo.environment) != nil
        && ChildProcess.resolve("docker") != nil

    func environment(_ socket: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DOCKER_HOST"] = "unix://\(socket)"
        return env
    }

    func judge(_ repo: String, _ env: [String: String]) throws -> [String: CheckReport] {
        try runChecks(RunbookFacts(options: .init(root: repo, runbookDefaults: true), processEnvironment: env),
                      only: ["runtime.compose", "runtime.containers"])
    }

    /// A Unix socket listener in python3 that accepts every connection and never answers.
    /// A connection that sends MARK makes it print how many came before it (see `probesSoFar`).
    func silentListener(_ path: String, mode: Int = 0o666) throws -> ChildProcess {
        let script = """
        import os, socket, sys
        s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], int(sys.argv[2], 8)); s.listen(64)
        print("up", flush=True)
        held = []
        n = 0
        while True:
            c, _ = s.accept(); held.append(c)
            c.settimeout(0.5)
            try: first = c.recv(4)
            except OSError: first = b""
            if first == b"MARK": print("probes", n, flush=True)
            else: n += 1
        """
        let p = try ChildProcess(["python3", "-c", script, path, String(mode, radix: 8)], environment: ProcessInfo.processInfo.environment)
        let deadline = Date().addingTimeInterval(10)
        while p.output.isEmpty && Date() < deadline { usleep(5000) }
        return p
    }

    /// The connections the listener accepted before this call: connections are accepted in
    /// the order they were made, so a marker made now counts every earlier one, however late.
    func probesSoFar(_ listener: ChildProcess, _ socket: String) throws -> Int? {
        let marker = try ChildProcess(["python3", "-c", "import socket, sys; c = socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); c.sendall(b'MARK')", socket],
                                      environment: ProcessInfo.processInfo.environment)
        _ = marker.wait(timeout: 10)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let line = listener.output.first(where: { $0.text.hasPrefix("probes ") }) { return Int(line.text.dropFirst(7)) }
            usleep(10_000)
        }
        return nil
    }

    func runbookRepo(_ tmp: TempDir) -> String {
        let repo = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/docker-compose.yml", "services:\n  vllm_baseline:\n    image: vllm/vllm-openai\n")
        return repo
    }

    @Test(.enabled(if: hasCompose, "no docker CLI or compose CLI on this host"))
    func anEngineThatAcceptsButNeverAnswersHitsTheOneSecondLimit() throws {
        let tmp = TempDir()
        let repo = runbookRepo(tmp)
        let socket = tmp.path + "/hung.sock"
        let listener = try silentListener(socket)
        defer { listener.terminate(grace: 0.2) }
        let started = Date()
        let r = try judge(repo, environment(socket))
        let elapsed = Date().timeIntervalSince(started)
        let compose = try #require(r["runtime.compose"]?.result)
        #expect(compose.status == .fail)
        #expect(compose.summary.contains("accepted but did not answer within the 1 s limit"), "\(compose.summary)")
        #expect(compose.summary.contains("GET /containers/json on \(socket): no answer within 1 s"), "\(compose.summary)")
        #expect(compose.fix?.contains("restart docker") == true)
        let containers = try #require(r["runtime.containers"]?.result)
        #expect(containers.status == .warn && containers.summary.contains("1 s limit"), "\(containers.summary)")
        // Both checks share one probe: one connection, one limit's wait, not two (counted,
        // not timed: a 2.5 s bound on the run broke under load).
        #expect(try probesSoFar(listener, socket) == 1, "\(elapsed) s")
    }

    @Test(.enabled(if: hasCompose, "no docker CLI or compose CLI on this host"))
    func aPathThatIsNotASocketIsNamed() throws {
        let tmp = TempDir()
        let repo = runbookRepo(tmp)
        let file = tmp.write("not-a-socket", "x")
        let r = try judge(repo, environment(file))
        let compose = try #require(r["runtime.compose"]?.result)
        #expect(compose.status == .fail)
        #expect(compose.summary == "no Docker engine answers: \(file) is not a socket")
        #expect(r["runtime.containers"]?.result.summary == "docker engine not reachable: \(file) is not a socket")
    }

    @Test(.enabled(if: hasCompose, "no docker CLI or compose CLI on this host"))
    func aSocketNothingListensOnAndAMissingOneAreTold() throws {
        let tmp = TempDir()
        let repo = runbookRepo(tmp)
        let stale = tmp.path + "/stale.sock"
        #expect(sh("python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.bind('\(stale)')\"").0 == 0)
        let r = try judge(repo, environment(stale))
        #expect(r["runtime.compose"]?.result.summary == "no Docker engine answers (\(stale) exists but nothing accepts on it (a stopped engine?))")
        let missing = try judge(repo, environment(tmp.path + "/none.sock"))
        #expect(missing["runtime.compose"]?.result.summary == "no Docker engine answers (DOCKER_HOST names \(tmp.path)/none.sock, which does not exist)")
        #expect(missing["runtime.containers"]?.result.status == .skip)
    }

    @Test(.enabled(if: geteuid() == 0 && ChildProcess.resolve("setpriv") != nil && hasCompose, "needs root, setpriv and a compose CLI"))
    func aSocketThisUserMayNotOpenGetsTheGroupFix() throws {
        let tmp = TempDir()
        let repo = runbookRepo(tmp)
        let socket = tmp.path + "/root-only.sock"
        let listener = try silentListener(socket, mode: 0o600)
        defer { listener.terminate(grace: 0.2) }
        chmod(tmp.path, 0o755); chmod(repo, 0o755); chmod(repo + "/.env", 0o644)
        chmod(repo + "/vllm_bridge", 0o755); chmod(repo + "/vllm_bridge/docker-compose.yml", 0o644)
        let (_, out) = sh("DOCKER_HOST=unix://\(socket) setpriv --reuid=65534 --regid=65534 --clear-groups \(doctorBinary) check --root \(repo) --only runtime.compose,runtime.containers; echo rc=$?")
        #expect(out.contains("rc=1"), "\(out)")
        #expect(out.contains("the Docker engine refuses this user (permission denied on its socket)"), "\(out)")
        #expect(out.contains("sudo usermod -aG docker $USER"), "\(out)")
    }

    @Test func theAddressComesFromDockerHostElseTheDefaultSocket() {
        #expect(DockerEngineAPI.address(environment: [:]) == .unix("/var/run/docker.sock"))
        #expect(DockerEngineAPI.address(environment: ["DOCKER_HOST": "unix:///run/user/1000/docker.sock"]) == .unix("/run/user/1000/docker.sock"))
        #expect(DockerEngineAPI.address(environment: ["DOCKER_HOST": "tcp://10.0.0.5:2375"]) == .tcp(host: "10.0.0.5", port: 2375))
        if case .unsupported = DockerEngineAPI.address(environment: ["DOCKER_HOST": "ssh://me@host"]) {} else { Issue.record("ssh:// taken") }
        if case .unsupported = DockerEngineAPI.address(environment: ["DOCKER_HOST": "tcp://h:2376", "DOCKER_TLS_VERIFY": "1"]) {} else { Issue.record("TLS taken") }
    }

    @Test func theComposeCLIIsFoundInThePluginFoldersWithoutRunningIt() throws {
        let tmp = TempDir()
        let bin = tmp.mkdir("bin")
        // A docker on PATH that would leave a mark if anything ran it.
        let mark = tmp.path + "/ran"
        for name in ["docker", "docker-compose"] {
            tmp.write("bin/\(name)", "#!/bin/sh\ntouch \(mark)\n", mode: 0o755)
        }
        let plugins = tmp.mkdir("config/cli-plugins")
        tmp.write("config/cli-plugins/docker-compose", "#!/bin/sh\ntouch \(mark)\n", mode: 0o755)
        let env = ["PATH": bin, "DOCKER_CONFIG": tmp.path + "/config", "HOME": tmp.path]
        let found = try #require(ComposeCLI.locate(environment: env))
        #expect(found.cli.argv == ["docker", "compose"] && found.cli.generation == 2 && found.path == plugins + "/docker-compose")
        #expect(found.cli.label == "docker compose (v2)")
        // No plugin: docker-compose on PATH, a script that is not python read as v1.
        unlink(plugins + "/docker-compose")
        let standalone = try #require(ComposeCLI.locate(environment: env))
        #expect(standalone.cli.argv == ["docker-compose"] && standalone.path == bin + "/docker-compose")
        #expect(!FileFacts.exists(mark))
        #expect(ComposeCLI.locate(environment: ["PATH": tmp.mkdir("empty"), "HOME": tmp.path]) == nil)
    }
}

/// `check --deep` asks the compose CLI itself, against the test's real dockerd.
@Suite("check --deep")
struct CheckDeepTests {
    @Test(.enabled(if: TestDocker.host != nil && ComposeCLI.locate(environment: ProcessInfo.processInfo.environment) != nil,
                   "needs the test dockerd (make test) and a compose CLI"))
    func deepAsksTheCLIAndSaysSoInVerbose() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/docker-compose.yml", "services:\n  vllm_baseline:\n    image: vllm/vllm-openai\n")
        let quick = doctor(["check", "--root", repo, "--only", "runtime.compose", "-v"], env: TestDocker.env)
        #expect(quick.status == 0, "\(quick.stdout)")
        #expect(!quick.stdout.contains("deep:"))
        // The compose CLI is a Python program started twice: on a loaded machine that is over
        // the 5 s a check gets by default. What --deep says is tested here, not how fast it is.
        let deep = doctor(["check", "--root", repo, "--only", "runtime.compose", "--deep", "-v", "--timeout", "120"], env: TestDocker.env, timeout: 180)
        #expect(deep.status == 0, "\(deep.stdout)")
        #expect(deep.stdout.contains("version and config -q took"), "\(deep.stdout)")
        #expect(deep.stdout.contains("accepts the file"), "\(deep.stdout)")
        // With --deep the CLI's own version is in the label (without it, only the generation).
        #expect(deep.stdout.range(of: #"docker[- ]compose \d+\.\d+\.\d+ \(v\d\)"#, options: .regularExpression) != nil, "\(deep.stdout)")
    }
}

/// Issue 29: the engine is found as the docker CLI finds it (DOCKER_HOST > DOCKER_CONTEXT >
/// the config's currentContext > the default socket), and a malformed address is one line naming
/// the variable and what was expected. Contexts are made by the real docker CLI.
@Suite("docker engine address: contexts and malformed DOCKER_HOST")
struct DockerEngineAddressTests {
    static let hasDockerCLI = ChildProcess.resolve("docker") != nil

    /// A DOCKER_CONFIG with a context `name` whose docker endpoint is `host`, made by `docker context create`.
    func config(_ tmp: TempDir, context name: String, host: String, use: Bool = false) throws -> String {
        let dir = tmp.path + "/docker-config"
        let (status, out) = sh("DOCKER_CONFIG='\(dir)' docker context create '\(name)' --docker 'host=\(host)' 2>&1"
                               + (use ? " && DOCKER_CONFIG='\(dir)' docker context use '\(name)' 2>&1" : ""))
        try #require(status == 0, "\(out)")
        return dir
    }

    @Test(.enabled(if: hasDockerCLI, "no docker CLI")) func dockerContextNamesTheEngine() throws {
        let tmp = TempDir()
        let dir = try config(tmp, context: "gpu-box", host: "unix://\(tmp.path)/ctx.sock")
        let env = ["DOCKER_CONFIG": dir, "DOCKER_CONTEXT": "gpu-box", "HOME": tmp.path]
        let endpoint = DockerEngineAPI.endpoint(environment: env)
        #expect(endpoint.address == .unix("\(tmp.path)/ctx.sock"))
        #expect(endpoint.from == "DOCKER_CONTEXT=gpu-box (unix://\(tmp.path)/ctx.sock)")
        guard case .absent(let why) = DockerEngineAPI.probe(environment: env) else { Issue.record("not absent"); return }
        #expect(why == "DOCKER_CONTEXT=gpu-box (unix://\(tmp.path)/ctx.sock) names \(tmp.path)/ctx.sock, which does not exist")
        // DOCKER_HOST wins over the context, as in the docker CLI.
        var withHost = env
        withHost["DOCKER_HOST"] = "unix:///elsewhere.sock"
        #expect(DockerEngineAPI.endpoint(environment: withHost).address == .unix("/elsewhere.sock"))
        #expect(DockerEngineAPI.endpoint(environment: withHost).from == "DOCKER_HOST")
    }

    @Test(.enabled(if: hasDockerCLI, "no docker CLI")) func dockerContextUseIsTheCurrentContext() throws {
        let tmp = TempDir()
        let dir = try config(tmp, context: "remote", host: "tcp://[::1]:1", use: true)
        let endpoint = DockerEngineAPI.endpoint(environment: ["DOCKER_CONFIG": dir])
        #expect(endpoint.address == .tcp(host: "::1", port: 1))
        #expect(endpoint.from == "currentContext remote in \(dir)/config.json (tcp://[::1]:1)")
        // Without DOCKER_CONFIG, ~/.docker is read.
        _ = sh("mkdir -p '\(tmp.path)/home' && cp -a '\(dir)' '\(tmp.path)/home/.docker'")
        #expect(DockerEngineAPI.endpoint(environment: ["HOME": tmp.path + "/home"]).address == .tcp(host: "::1", port: 1))
        // `docker context use default` goes back to the default socket.
        _ = sh("DOCKER_CONFIG='\(dir)' docker context use default")
        #expect(DockerEngineAPI.endpoint(environment: ["DOCKER_CONFIG": dir]).address == .unix(DockerEngineAPI.defaultSocket))
    }

    @Test func aContextThatDoesNotExistIsNamed() {
        let tmp = TempDir()
        let address = DockerEngineAPI.endpoint(environment: ["DOCKER_CONFIG": tmp.path, "DOCKER_CONTEXT": "nope"]).address
        #expect(address == .invalid("DOCKER_CONTEXT=nope: no context of that name (no \(tmp.path)/contexts/meta/\(SHA256Digest.hex("nope"))/meta.json; `docker context ls` lists them)"))
    }

    @Test func malformedDockerHostsAreOneClearLine() {
        func address(_ host: String) -> DockerEngineAPI.Address { DockerEngineAPI.address(environment: ["DOCKER_HOST": host]) }
        #expect(address("tcp://[::1]:1") == .tcp(host: "::1", port: 1))
        #expect(address("tcp://[::1]") == .tcp(host: "::1", port: 2375))
        #expect(address("unix://") == .invalid("DOCKER_HOST=unix:// names no socket (expected unix:///path/to/docker.sock)"))
        #expect(address("unix://docker.sock") == .invalid("DOCKER_HOST=unix://docker.sock: the socket path is not absolute (expected unix:///path/to/docker.sock)"))
        #expect(address("tcp://::1:2375") == .invalid("DOCKER_HOST=tcp://::1:2375: an IPv6 address needs brackets (expected tcp://HOST:PORT, a port 1-65535, an IPv6 address in brackets (tcp://[::1]:2375))"))
        #expect(address("tcp://h:99999") == .invalid("DOCKER_HOST=tcp://h:99999: no valid port (expected tcp://HOST:PORT, a port 1-65535, an IPv6 address in brackets (tcp://[::1]:2375))"))
        #expect(address("tcp://:2375") == .invalid("DOCKER_HOST=tcp://:2375: no host (expected tcp://HOST:PORT, a port 1-65535, an IPv6 address in brackets (tcp://[::1]:2375))"))
    }

    @Test(.enabled(if: DockerEngineSocketTests.hasCompose, "no docker CLI or compose CLI on this host"))
    func runtimeComposeFailsOnAMalformedDockerHostWithOneLine() throws {
        let tmp = TempDir()
        let repo = makeRunbook(tmp)
        tmp.write("repo/vllm_bridge/docker-compose.yml", "services:\n  vllm_baseline:\n    image: vllm/vllm-openai\n")
        var env = ProcessInfo.processInfo.environment
        env["DOCKER_HOST"] = "unix://"
        let r = try #require(try runChecks(RunbookFacts(options: .init(root: repo, runbookDefaults: true), processEnvironment: env),
                                           only: ["runtime.compose"])["runtime.compose"]).result
        #expect(r.status == .fail)
        #expect(r.summary == "the Docker engine's address is malformed: DOCKER_HOST=unix:// names no socket (expected unix:///path/to/docker.sock)")
    }

    /// The digest that names a context's folder, against sha256sum.
    @Test func sha256MatchesSha256sum() {
        for text in ["", "abc", "mine", String(repeating: "x", count: 55), String(repeating: "y", count: 64), String(repeating: "é", count: 200)] {
            let tmp = TempDir()
            tmp.write("t", text)
            let (_, out) = sh("sha256sum '\(tmp.path)/t'")
            #expect(SHA256Digest.hex(text) == String(out.prefix(64)), "\(text.count) characters")
        }
    }
}

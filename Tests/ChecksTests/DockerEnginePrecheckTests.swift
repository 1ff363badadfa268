import Foundation
import Testing
import TestSupport
import Runbook
import Basics
import SystemProbes

/// bench asks `DockerEngine.probe` before a compose run; its precheck finds the engine as
/// runtime.* do (DOCKER_HOST, DOCKER_CONTEXT, `docker context use`), not by DOCKER_HOST alone.
@Suite("docker engine precheck: the same address as the engine API (issue 29)")
struct DockerEnginePrecheckTests {
    /// A PATH with a `docker` program, and a DOCKER_CONFIG holding context `name` → `host`
    /// (the CLI's layout: contexts/meta/<sha256 of the name>/meta.json), current when `use`.
    func environment(_ tmp: TempDir, context name: String, host: String, use: Bool = false) -> [String: String] {
        tmp.write("bin/docker", "#!/bin/sh\nexit 1\n")
        _ = sh("chmod +x '\(tmp.path)/bin/docker'")
        tmp.write("config/contexts/meta/\(SHA256Digest.hex(name))/meta.json",
                  #"{"Name":"\#(name)","Metadata":{},"Endpoints":{"docker":{"Host":"\#(host)","SkipTLSVerify":false}}}"#)
        tmp.write("config/config.json", use ? #"{"currentContext":"\#(name)"}"# : "{}")
        return ["PATH": tmp.path + "/bin", "DOCKER_CONFIG": tmp.path + "/config", "HOME": tmp.path]
    }

    @Test func aContextsMissingSocketIsNamed() {
        let tmp = TempDir()
        var env = environment(tmp, context: "gpu-box", host: "unix://\(tmp.path)/ctx.sock")
        env["DOCKER_CONTEXT"] = "gpu-box"
        #expect(DockerEngine.precheck(environment: env)
                == .noEngine("DOCKER_CONTEXT=gpu-box (unix://\(tmp.path)/ctx.sock) names \(tmp.path)/ctx.sock, which does not exist"))
    }

    @Test func aContextsSocketThatExistsIsLeftToDocker() {
        let tmp = TempDir()
        tmp.write("ctx.sock", "")
        var env = environment(tmp, context: "gpu-box", host: "unix://\(tmp.path)/ctx.sock")
        env["DOCKER_CONTEXT"] = "gpu-box"
        #expect(DockerEngine.precheck(environment: env) == nil)
        // `docker context use`: the config's currentContext, the same way.
        let current = environment(tmp, context: "gpu-box", host: "unix://\(tmp.path)/ctx.sock", use: true)
        #expect(DockerEngine.precheck(environment: current) == nil)
        // A TCP engine is never judged by a socket file.
        let other = TempDir()
        let tcp = environment(other, context: "remote", host: "tcp://127.0.0.1:1", use: true)
        #expect(DockerEngine.precheck(environment: tcp) == nil)
    }

    @Test func aContextThatDoesNotExistIsOneLine() {
        let tmp = TempDir()
        var env = environment(tmp, context: "gpu-box", host: "unix:///x.sock")
        env["DOCKER_CONTEXT"] = "nope"
        #expect(DockerEngine.precheck(environment: env)
                == .noEngine("DOCKER_CONTEXT=nope: no context of that name (no \(tmp.path)/config/contexts/meta/\(SHA256Digest.hex("nope"))/meta.json; `docker context ls` lists them)"))
    }

    @Test func dockerHostStillWins() {
        let tmp = TempDir()
        var env = environment(tmp, context: "gpu-box", host: "unix://\(tmp.path)/ctx.sock", use: true)
        env["DOCKER_HOST"] = "unix://\(tmp.path)/host.sock"
        #expect(DockerEngine.precheck(environment: env) == .noEngine("DOCKER_HOST names \(tmp.path)/host.sock, which does not exist"))
    }
}

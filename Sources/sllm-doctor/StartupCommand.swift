import ArgumentParser
import Bench
import DoctorCore
import Foundation
import Startup
import SystemProbes
import Runbook
import Basics

/// The start-up doctor: why a server takes the time it takes before ready, outside of what
/// its log says — Python imports, the compile cache, the disk's floor under the weights.
struct StartupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup",
        abstract: "Find the slow parts of a vLLM start: imports (and bytecode, page cache), torch.compile's cache, the disk's weight-load floor.",
        discussion: """
        Each part runs when its input is given: --python (imports: `-X importtime` of vLLM's entry \
        point, bytecode caches, page-cache residency of the files it reads), --model DIR (the \
        floor: the shards read with O_DIRECT and from the page cache), and always the compile \
        cache (VLLM_CACHE_ROOT, else ~/.cache/vllm). --results FILE (a bench results JSON) sets \
        each variant's weights phase against the floor and lists compile-cache misses.
        """)

    @Option(help: "The interpreter that runs vLLM (imports part).") var python: String?
    @Option(help: "The module a start imports first.") var module = "vllm.entrypoints.cli.main"
    @Option(help: "A model folder (HF snapshot or shards) for the weight-load floor.") var model: String?
    @Option(help: "A bench results JSON to judge against the floor.") var results: String?
    @Option(name: .customLong("template-socket"), help: "A running warm interpreter template's socket: what it holds (modules, RSS) and whether it is stale.") var templateSocket: String?
    @Option(name: .customLong("template-path"), help: "The folder holding the vllm_template package (default ./integrations/vllm-template).") var templatePath: String?
    @Option(name: .customLong("template-python"), help: "The Python that asks the template (default python3).") var templatePython: String?
    @Option(name: .customLong("pinned-copy"), help: "An interpreter with torch and CUDA: measure the CUDA context and the pinned host→GPU copy (the floor under any loader); with --results, each weights phase as GB/s and its share of it.") var pinnedCopy: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        var sections: [(title: String, lines: [String])] = []
        var obj: [String: JSONValue] = [:]
        if let python, ChildProcess.resolve(python, path: environment["PATH"]) == nil {
            throw UsageError("--python \(python): no such interpreter (a path, or a name on PATH)")
        }
        if let results, !FileFacts.isFile(results) { throw UsageError("--results \(results): no such file") }
        if let python {
            Output.err("imports: running \(python) -X importtime -c 'import \(module)' (a whole interpreter start, can take a minute)\n")
            let d = ImportDiagnosis.run(python: python, module: module, environment: environment)
            var lines = d.findings
            if d.error == nil {
                lines.append("top packages by cumulative import time: " + d.profile.topPackages(6).map { String(format: "%@ %.2f s", $0.name, Double($0.us) / 1e6) }.joined(separator: ", "))
                lines.append("slowest module bodies: " + d.profile.slowestSelf(5).map { String(format: "%@ %.2f s", $0.name, Double($0.selfUs) / 1e6) }.joined(separator: ", "))
            }
            sections.append(("Imports (\(python), import \(module): \(String(format: "%.1f", d.wallS)) s wall)", lines))
            obj["imports"] = .object([
                "python": .string(python), "module": .string(module), "wall_s": JSONValue.number(d.wallS),
                "import_s": JSONValue.number(Double(d.profile.totalUs) / 1e6),
                "top_packages": .array(d.profile.topPackages(10).map {
                    .object(["package": .string($0.name), "s": JSONValue.number(Double($0.us) / 1e6)])
                }),
                "sources": JSONValue.number(d.sources.count),
                "sources_without_bytecode": JSONValue.number(d.sources.filter { !$0.hasBytecode }.count),
                "dont_write_bytecode": .bool(d.dontWriteBytecode),
                "page_cache_before": .object(["resident_bytes": Self.number(d.cacheBefore.resident),
                                              "total_bytes": Self.number(d.cacheBefore.total),
                                              "files": JSONValue.number(d.cacheBefore.files)]),
                "findings": Self.strings(lines), "error": d.error.map { .string($0) } ?? .null])
        }
        let mounts = try? MountTable()
        let cache = CompileCacheDoctor.inspect(environment: environment, mounts: mounts)
        sections.append(("torch.compile cache", cache.findings))
        obj["compile_cache"] = .object([
            "root": .string(cache.root), "from": .string(cache.from), "exists": .bool(cache.exists), "keys": Self.strings(cache.keys),
            "mount": cache.mount.map { .string("\($0.source) on \($0.target) (\($0.fstype))") } ?? .null,
            "findings": Self.strings(cache.findings)])
        var floor: RestartFloor?
        if let model {
            guard FileFacts.facts(model).isDirectory else { throw UsageError("--model \(model): no such folder") }
            let f = try RestartFloor.measure(modelDir: model)
            floor = f
            sections.append(("Weight-load floor (\(model))", [f.summary]))
            obj["floor"] = .object([
                "files": JSONValue.number(f.files.count), "bytes": Self.number(f.bytes),
                "cold_s": Self.number(f.cold?.seconds), "warm_s": Self.number(f.warm?.seconds),
                "cold_gb_per_s": Self.number(f.cold.map { $0.bytesPerSecond / 1e9 }),
                "warm_gb_per_s": Self.number(f.warm.map { $0.bytesPerSecond / 1e9 }),
                "cold_error": f.coldError.map { .string($0) } ?? .null])
        }
        if let socket = templateSocket {
            let lines = try Self.template(socket: socket, python: templatePython ?? "python3", path: templatePath, environment: environment)
            sections.append(("Warm interpreter template (\(socket))", lines))
            obj["template"] = Self.strings(lines)
        }
        var link: PinnedCopy?
        if let py = pinnedCopy {
            switch PinnedCopy.measure(python: py, environment: environment) {
            case .success(let p):
                link = p
                sections.append(("Pinned host→GPU copy (\(py))", [p.summary]))
                obj["pinned_copy"] = .object(["context_s": JSONValue.number(p.contextS), "pinned_gb_per_s": JSONValue.number(p.pinnedGBPerS),
                                              "pageable_gb_per_s": JSONValue.number(p.pageableGBPerS), "bytes": JSONValue.number(p.bytes)])
            case .failure(let e):
                sections.append(("Pinned host→GPU copy (\(py))", [e.description]))
                obj["pinned_copy"] = .object(["error": .string(e.description)])
            }
        }
        if let results {
            // Absolute: the runs' logs are looked up beside it.
            let path = results.hasPrefix("/") ? results : FileFacts.join(FileManager.default.currentDirectoryPath, results)
            let lines = try Self.judge(resultsPath: path, floor: floor, link: link)
            sections.append(("Against \(results)", lines))
            obj["results"] = Self.strings(lines)
        }
        if json {
            Output.json(JSONRenderer(redact: Output.redact).encode(JSONValue.object(obj)))
            return
        }
        // Import errors quote the interpreter's stderr: masked like every other output.
        Output.out((sections.map { s in s.title + "\n" + s.lines.map { "  - " + $0 }.joined(separator: "\n") }.joined(separator: "\n\n") + "\n"))
    }

    static func strings(_ xs: [String]) -> JSONValue { .array(xs.map { .string($0) }) }
    static func number(_ x: Double?) -> JSONValue { x.map { JSONValue.number($0) } ?? .null }
    static func number(_ x: UInt64) -> JSONValue { .number(text: String(x), value: Double(x)) }
    /// A list of strings, or nil when the value is not one (any other item included).
    static func stringList(_ value: JSONValue?) -> [String]? {
        guard let items = value?.array else { return nil }
        let strings = items.compactMap(\.string)
        return strings.count == items.count ? strings : nil
    }

    /// "Model loading took X GiB" from a run's log, found where bench wrote it or beside the results.
    static func modelGiB(log: String?, resultsPath: String) -> Double? {
        guard let log else { return nil }
        let local = FileFacts.join(FileFacts.parent(of: resultsPath), (FileFacts.parent(of: log) as NSString).lastPathComponent, (log as NSString).lastPathComponent)
        guard let text = FileFacts.readSmall(FileFacts.isFile(log) ? log : local, limit: 4 << 20),
              let m = try? Regex(#"Model loading took ([0-9.]+) GiB"#).firstMatch(in: text) else { return nil }
        return m.output[1].substring.flatMap { Double($0) }
    }

    /// What a running template holds, and what to do when it is stale or has CUDA.
    static func template(socket: String, python: String, path: String?, environment: [String: String]) throws -> [String] {
        if let problem = TemplateHost.socketProblem(socket) { throw UsageError("--template-socket: \(problem)") }
        let folder = path ?? TemplateSpec.defaultPath(root: FileManager.default.currentDirectoryPath)
        let host = TemplateHost(python: python, spec: TemplateSpec(pythonPath: folder), environment: environment, socket: socket)
        guard let s = host.status() else {
            return ["no template answered on \(socket) (start one: python -m vllm_template serve --socket \(socket); PYTHONPATH must hold \(folder))"]
        }
        var lines = ["pid \(s.pid): holds \(s.summary); a server forked from it skips those imports"]
        lines.append(s.cudaInitialised ? "CUDA is initialised in it: it refuses to fork; restart it, and keep CUDA calls out of what it imports"
                                       : "CUDA not initialised: each fork creates its own context")
        lines.append(s.stale.isEmpty ? "not stale: the torch and vLLM files it imported are unchanged on disk"
                                     : "stale: \(s.stale[0]) changed on disk since it started; restart it (systemctl restart vllm-template, or python -m vllm_template stop, then serve)")
        return lines
    }

    /// Each variant's weights phase against the floor; compile-cache misses and their keys.
    static func judge(resultsPath: String, floor: RestartFloor?, link: PinnedCopy? = nil) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: resultsPath),
              let obj = try? JSONLite.parse(Array(data)),
              let variants = obj["variants"]?.array, variants.allSatisfy({ $0.object != nil }) else {
            throw UsageError("\(resultsPath): expected a bench results JSON (benchmarks/results/*.json)")
        }
        let dropped = obj["flags"]?["drop_caches"]?.bool ?? false
        var lines: [String] = []
        for v in variants {
            let name = v["name"]?.string ?? "?"
            let runs = v["runs"]?.array.flatMap { $0.allSatisfy { $0.object != nil } ? $0 : nil } ?? []
            let weights = v["median"]?["phases_s"]?["weights_load"]?.double
            if let floor, let w = weights {
                lines.append(floor.judge(variant: name, weightsS: w, cachesDropped: dropped))
            }
            // The model's size comes from the run's own log (vLLM's "Model loading took X GiB").
            if let link, let w = weights,
               let gib = runs.lazy.compactMap({ Self.modelGiB(log: $0["log"]?.string, resultsPath: resultsPath) }).first {
                lines.append(link.judge(variant: name, gib: gib, seconds: w))
            }
            for r in runs {
                for f in Self.stringList(r["findings"]) ?? [] where f.hasPrefix("compile cache missed") {
                    lines.append("\(name) run \(r["run"]?.int ?? 0): \(f)")
                }
            }
        }
        if lines.isEmpty { lines.append("no weights phase or compile-cache finding in these results") }
        return lines
    }
}

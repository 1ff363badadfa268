import Foundation
import SystemProbes
import Basics

/// Where a server's Python start-up goes: `python -X importtime` of its entry module, whether
/// the imported sources have bytecode caches (and could get them), and how much of the files
/// the start reads were in the page cache before it.
public struct ImportProfile: Sendable {
    public struct Module: Sendable, Equatable {
        public var name: String
        public var selfUs: Int
        public var cumulativeUs: Int
        /// Nesting under the entry import (0: imported by the entry module itself).
        public var depth: Int
    }
    public var modules: [Module]

    /// `import time: self [us] | cumulative | imported package` lines, as CPython 3.7+ writes them
    /// to stderr; nesting is the indentation of the name (two spaces per level).
    public static func parse(_ text: String) -> ImportProfile {
        var modules: [Module] = []
        for line in text.split(separator: "\n") where line.hasPrefix("import time:") {
            let fields = line.dropFirst("import time:".count).split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let s = Int(fields[0].trimmingCharacters(in: .whitespaces)),
                  let c = Int(fields[1].trimmingCharacters(in: .whitespaces)) else { continue }
            let raw = fields[2].dropFirst()          // one space after the bar
            let indent = raw.prefix { $0 == " " }.count
            modules.append(Module(name: raw.trimmingCharacters(in: .whitespaces), selfUs: s, cumulativeUs: c, depth: indent / 2))
        }
        return ImportProfile(modules: modules)
    }

    /// The whole import: the largest cumulative time (the entry module's own line).
    public var totalUs: Int { modules.map(\.cumulativeUs).max() ?? 0 }

    /// Top-level packages by cumulative time (a package's first line is its whole cost).
    public func topPackages(_ n: Int) -> [(name: String, us: Int)] {
        var byTop: [String: Int] = [:]
        for m in modules {
            let top = String(m.name.split(separator: ".").first ?? Substring(m.name))
            byTop[top, default: 0] = max(byTop[top, default: 0], m.cumulativeUs)
        }
        return byTop.sorted { $0.value > $1.value }.prefix(n).map { ($0.key, $0.value) }
    }

    /// Modules whose own code (not their imports) is slowest: work done at import time.
    public func slowestSelf(_ n: Int) -> [Module] { Array(modules.sorted { $0.selfUs > $1.selfUs }.prefix(n)) }
}

/// One run of the entry import under `-X importtime`, with what the interpreter says about
/// bytecode and the files the process had mapped.
public struct ImportDiagnosis: Sendable {
    public struct SourceFile: Sendable, Equatable {
        public var path: String
        public var bytecode: String?
        /// A bytecode cache existed before this start (one it wrote itself does not count).
        public var hasBytecode: Bool
        public var folderWritable: Bool
    }
    public var python: String
    public var module: String
    public var wallS: Double
    public var profile: ImportProfile
    public var dontWriteBytecode: Bool
    public var sources: [SourceFile]
    /// Files the start read (sources, bytecode, extension modules, shared libraries) with the
    /// bytes of each that were in the page cache before it, and their sizes.
    public var cacheBefore: (resident: UInt64, total: UInt64, files: Int)
    public var error: String?

    /// The snippet the interpreter runs: the import (by `__import__`, which -X importtime times;
    /// importlib.import_module's own top-level import is not logged), then a JSON line about
    /// bytecode and maps.
    static func snippet(_ module: String) -> String {
        """
        import time as _t0_time
        _t0 = _t0_time.time()
        __import__(\(Self.pyString(module)))
        import importlib.util, json, os, sys
        files = []
        for m in list(sys.modules.values()):
            f = getattr(m, "__file__", None)
            if not f or not f.endswith(".py"): continue
            f = os.path.abspath(f)   # a module found through sys.path's "" has a relative path
            try: pyc = importlib.util.cache_from_source(f)
            except Exception: pyc = None
            d = os.path.dirname(pyc) if pyc else os.path.dirname(f)
            if not os.path.isdir(d): d = os.path.dirname(f)
            # A cache this start wrote was not there before it: it did not help this start.
            before = bool(pyc and os.path.exists(pyc) and os.path.getmtime(pyc) < _t0 - 0.01)
            files.append([f, pyc, before, os.access(d, os.W_OK)])
        maps = set()
        with open("/proc/self/maps") as fh:
            for line in fh:
                parts = line.split(None, 5)
                if len(parts) == 6 and parts[5].startswith("/"): maps.add(parts[5].strip())
        print("SLLM-DOCTOR-IMPORTS " + json.dumps({"dont_write_bytecode": bool(sys.dont_write_bytecode), "sources": files, "maps": sorted(maps)}))
        """
    }

    static func pyString(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// Runs it. `sitePaths`: folders whose files' page-cache residency is measured before the
    /// start (the interpreter's sys.path, asked for first, cheaply).
    public static func run(python: String, module: String, environment: [String: String], timeout: TimeInterval = 300) -> ImportDiagnosis {
        var d = ImportDiagnosis(python: python, module: module, wallS: 0, profile: ImportProfile(modules: []), dontWriteBytecode: false,
                                sources: [], cacheBefore: (0, 0, 0), error: nil)
        let runner = SystemCommandRunner(environment: environment)
        // 1. Before the start: what of sys.path's files the page cache holds.
        var before: [String: UInt64] = [:]
        if case .success(let o) = runner.run([python, "-c", "import json, sys; print(json.dumps([p for p in sys.path if p]))"], timeout: 30),
           o.status == 0, let paths = Self.strings(try? JSONLite.parse(Array(o.stdout.utf8))) {
            for dir in paths where FileFacts.facts(dir).isDirectory {
                guard let e = FileManager.default.enumerator(atPath: dir) else { continue }
                while let rel = e.nextObject() as? String {
                    let full = dir + "/" + rel
                    if let r = FileReads.resident(full) { before[full] = r.resident }
                }
            }
        }
        // 2. The start itself.
        let started = Date()
        switch runner.run([python, "-X", "importtime", "-c", snippet(module)], timeout: timeout) {
        case .failure(let e): d.error = "\(python): \(e)"; return d
        case .success(let o):
            d.wallS = Date().timeIntervalSince(started)
            d.profile = ImportProfile.parse(o.stderr)
            guard o.status == 0, let line = o.stdout.split(separator: "\n").last(where: { $0.hasPrefix("SLLM-DOCTOR-IMPORTS ") }),
                  let obj = try? JSONLite.parse(Array(line.dropFirst("SLLM-DOCTOR-IMPORTS ".count).utf8)), obj.object != nil else {
                let tail = o.stderr.split(separator: "\n").filter { !$0.hasPrefix("import time:") }.suffix(3).joined(separator: " | ")
                d.error = "import \(module) failed (exit \(o.status)): \(tail)"
                return d
            }
            d.dontWriteBytecode = obj["dont_write_bytecode"]?.bool ?? false
            for f in obj["sources"]?.array ?? [] {
                guard let f = f.array, f.count == 4 else { continue }
                d.sources.append(SourceFile(path: f[0].string ?? "", bytecode: f[1].string,
                                            hasBytecode: f[2].bool ?? false, folderWritable: f[3].bool ?? false))
            }
            var read = Set(Self.strings(obj["maps"]) ?? [])
            for s in d.sources { read.insert(s.path); if let b = s.bytecode, s.hasBytecode { read.insert(b) } }
            var resident: UInt64 = 0, total: UInt64 = 0, counted = 0
            for path in read {
                let size = FileFacts.facts(path).size
                guard size > 0 else { continue }
                total += size
                counted += 1
                resident += min(size, before[path] ?? 0)
            }
            d.cacheBefore = (resident, total, counted)
        }
        return d
    }

    /// A list of strings, or nil when the value is not one (any other item included).
    static func strings(_ value: JSONValue?) -> [String]? {
        guard let items = value?.array else { return nil }
        let strings = items.compactMap(\.string)
        return strings.count == items.count ? strings : nil
    }

    /// Plain-words findings, each with what to do.
    public var findings: [String] {
        var out: [String] = []
        if let error { return ["\(error)"] }
        let missing = sources.filter { !$0.hasBytecode }
        if dontWriteBytecode && missing.isEmpty {
            out.append("PYTHONDONTWRITEBYTECODE is set, but every one of the \(sources.count) imported sources already has bytecode: nothing to gain here")
        } else if dontWriteBytecode {
            out.append("PYTHONDONTWRITEBYTECODE is set: \(missing.count) of \(sources.count) imported sources are compiled from text on every start; unset it, or compile once: \(python) -m compileall -q <site-packages>")
        } else if !missing.isEmpty {
            let readOnly = missing.filter { !$0.folderWritable }
            if !readOnly.isEmpty {
                // The files themselves when few, else their folders: compileall takes both, and a
                // folder two levels up could be / (seen on the H100: "compileall -q /").
                let folders = Set(readOnly.map { FileFacts.parent(of: $0.path) }).sorted()
                let targets = readOnly.count <= 3 ? readOnly.map(\.path).sorted() : Array(folders.prefix(3))
                let more = readOnly.count > 3 && folders.count > 3 ? " (and \(folders.count - 3) more folders)" : ""
                out.append("\(readOnly.count) of \(sources.count) imported sources have no bytecode cache and their folders are read-only for this user: every start compiles them. Compile once as their owner (or in the image): \(python) -m compileall -q \(targets.joined(separator: " "))\(more)")
            }
            if missing.count > readOnly.count {
                out.append("\(missing.count - readOnly.count) imported sources had no bytecode cache before this run (written now: the next start reads them)")
            }
        } else if !sources.isEmpty {
            out.append("bytecode caches present for all \(sources.count) imported sources")
        }
        if cacheBefore.total > 0 {
            let pct = Double(cacheBefore.resident) / Double(cacheBefore.total) * 100
            let verdict = pct < 50 ? ": the start reads them from disk; after a reboot or a cache drop this is the cold cost (keep them cached, or put the environment on the NVMe)" : ""
            out.append(String(format: "%.0f %% of the %@ the start read (%d files: sources, bytecode, extensions, shared libraries) were in the page cache before it", pct, formatBytes(cacheBefore.total), cacheBefore.files) + verdict)
        }
        if let top = profile.topPackages(1).first, profile.totalUs > 0 {
            out.append(String(format: "import %@ took %.1f s; the heaviest package is %@ (%.1f s)", module, Double(profile.totalUs) / 1e6, top.name, Double(top.us) / 1e6))
        }
        return out
    }
}

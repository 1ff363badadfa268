import Foundation
import SystemProbes
import Basics

/// One variable of a service's effective environment and the route that set it.
public struct ResolvedVariable: Sendable {
    public enum Value: Sendable, Equatable {
        case set(String)
        /// `environment: [NAME]` / `NAME:` with no value, and NAME set neither in the shell nor in .env.
        case passThroughUnset
        /// The value could not be worked out (an interpolation error); why.
        case unresolved(String)
    }
    public enum Kind: String, Sendable { case environment, envFile = "env_file" }

    public var name: String
    public var value: Value
    public var kind: Kind
    /// Where the assignment is written: the compose file (environment) or the env file.
    public var file: String
    public var line: Int?
    /// The assignment as written (`HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-1}`, `HF_HUB_OFFLINE=1`).
    public var written: String
    /// How the assignment reaches the service, nearest first: "extends base (a.yml:12)",
    /// "env_file env/offline.env (docker-compose.yml:9)".
    public var via: [String]
    /// The references interpolated to make the value.
    public var uses: [ComposeInterpolation.Use]
    /// For a pass-through (`- NAME`): where the value came from.
    public var passedFrom: String?

    public var setValue: String? { if case .set(let v) = value { return v }; return nil }
}

/// A service's effective environment: env_file entries (files in order, later winning), then
/// `environment` over them; an `extends` base's first, the service's own over it.
public struct ResolvedService: Sendable {
    public var name: String
    public var file: String
    public var line: Int?
    public var image: String?
    public var command: String
    public var containerName: String?
    /// The service (or a base it extends) has `build:`.
    public var hasBuild: Bool
    public var variables: [String: ResolvedVariable]
    /// What stopped a part of the resolution (a missing env_file, an extends cycle), file:line first.
    public var problems: [String]

    /// vLLM servers and the tools that load models through vLLM (as `ComposeFile.Service.isVLLM`).
    public var isVLLM: Bool {
        let haystack = ([name, image ?? "", command, containerName ?? ""]).joined(separator: " ").lowercased()
        return haystack.contains("vllm") || name == "convert_model"
    }
}

/// Works out the environment each service of a compose file gets, as compose does: values
/// interpolated against the shell and the `.env` file, `env_file` (a string or a list of paths
/// relative to the compose file, or of `{path, required}`), `environment` (a mapping or a list),
/// and `extends` (a service of the same file or of another). Bounded: extends chains, files
/// opened, env files per service and their sizes all have limits, and a cycle is named.
public final class ComposeEnvironmentResolver {
    public struct Limits: Sendable {
        public var maxExtendsDepth = 10
        public var maxFiles = 16
        public var maxEnvFiles = 32
        public var maxEnvFileBytes = 1 << 20
        public init() {}
    }

    public let interpolation: ComposeInterpolation
    public let limits: Limits
    /// How env files are read (lines, quotes, interpolation): the compose CLI's.
    public let dialect: DotEnvDialect
    /// The shell alone, without `.env`: what a v1 env_file is interpolated against. nil: the
    /// interpolation's variables.
    public let shell: (@Sendable (String) -> ComposeInterpolation.Binding?)?
    /// Shows a path in messages (relative to the repo).
    public let display: (String) -> String
    private var documents: [String: Result<ComposeDocument, ComposeFile.ParseError>] = [:]
    private var envFiles: [String: Result<String, ComposeFile.ParseError>] = [:]

    public init(interpolation: ComposeInterpolation, dialect: DotEnvDialect = .composeV2,
                shell: (@Sendable (String) -> ComposeInterpolation.Binding?)? = nil,
                limits: Limits = Limits(), display: @escaping (String) -> String = { $0 }) {
        self.interpolation = interpolation
        self.dialect = dialect
        self.shell = shell
        self.limits = limits
        self.display = display
    }

    /// The interpolation variables compose uses with `--env-file DOTENV`: the shell's over the
    /// file's; `excluding` names are treated as unset in the shell (the caller's per-run switches).
    /// The file's values are taken as parsed, without interpolation (see `variables(dotenvText:…)`).
    public static func variables(dotenv: EnvFile?, dotenvDisplay: String, shell: [String: String],
                                 excluding: Set<String> = []) -> [String: ComposeInterpolation.Binding] {
        var out: [String: ComposeInterpolation.Binding] = [:]
        for e in dotenv?.entries ?? [] { out[e.key] = .init(value: e.value, source: "\(dotenvDisplay):\(e.line)") }
        for (k, v) in shell where !excluding.contains(k) { out[k] = .init(value: v, source: "the shell") }
        return out
    }

    /// The shell as interpolation variables, `excluding` names left out.
    public static func shellBindings(_ shell: [String: String], excluding: Set<String> = []) -> [String: ComposeInterpolation.Binding] {
        var out: [String: ComposeInterpolation.Binding] = [:]
        for (k, v) in shell where !excluding.contains(k) { out[k] = .init(value: v, source: "the shell") }
        return out
    }

    /// The interpolation variables compose uses with `--env-file DOTENV`, the file read and its
    /// values interpolated as `dialect` does (`${PROOF_RUN:-1}` in `.env` is `1`), the shell's
    /// over the file's. A value that was interpolated names its text and the reading in its source.
    public static func variables(dotenvText: String?, dotenvPath: String, dotenvDisplay: String, shell: [String: String],
                                 excluding: Set<String> = [], dialect: DotEnvDialect) -> [String: ComposeInterpolation.Binding] {
        let shellOnly = shellBindings(shell, excluding: excluding)
        var out: [String: ComposeInterpolation.Binding] = [:]
        if let dotenvText {
            for a in dialect.read(dotenvText, path: dotenvPath, display: dotenvDisplay, lookup: { shellOnly[$0] }) {
                guard let value = a.value else { continue }
                let how = a.uses.isEmpty ? "" : " (\(a.written) as \(dialect) reads it)"
                out[a.key] = .init(value: value, source: "\(dotenvDisplay):\(a.line)\(how)")
            }
        }
        out.merge(shellOnly) { _, shell in shell }
        return out
    }

    /// Every service of the document, resolved (in name order).
    public func resolveAll(_ document: ComposeDocument) -> [ResolvedService] {
        documents[document.path] = .success(document)
        return (document.services ?? [:]).keys.sorted().map { resolve(service: $0, in: document) }
    }

    public func resolve(service: String, in document: ComposeDocument) -> ResolvedService {
        documents[document.path] = documents[document.path] ?? .success(document)
        var problems: [String] = []
        let layer = collect(service: service, in: document, chain: [], problems: &problems)
        var variables: [String: ResolvedVariable] = [:]
        for file in layer.envFiles {
            for v in readEnvFile(file, problems: &problems) { variables[v.name] = v }
        }
        for v in layer.environment.values { variables[v.name] = v }
        return ResolvedService(name: service, file: document.path, line: document.line("services", service),
                               image: layer.image, command: layer.command, containerName: layer.containerName, hasBuild: layer.hasBuild,
                               variables: variables, problems: problems)
    }

    // MARK: - One service, its extends chain first

    struct EnvFileReference {
        var path: String
        var required: Bool
        /// "docker-compose.yml:9: env_file env/a.env": where the entry is written, as written.
        var declared: String
        /// Hops from the service: "env_file env/a.env (docker-compose.yml:9)", then extends hops.
        var via: [String]
    }

    struct Layer {
        var envFiles: [EnvFileReference] = []
        var environment: [String: ResolvedVariable] = [:]
        var image: String?
        var command = ""
        var containerName: String?
        var hasBuild = false
    }

    private func collect(service: String, in document: ComposeDocument, chain: [String], problems: inout [String]) -> Layer {
        let here = display(document.path)
        let signature = document.path + "\u{0}" + service
        guard let raw = document.services?[service] else {
            problems.append("\(here): no service '\(service)'")
            return Layer()
        }
        guard let dict = raw.mapping else { return Layer() }
        var layer = Layer()
        let base = "services/\(service)"
        func at(_ key: String) -> String { "\(here):\(document.line(path: "\(base)/\(key)") ?? document.line(path: base) ?? 1)" }

        if let extends = dict["extends"] {
            var baseName: String?
            var baseFile: String?
            if let s = extends.string { baseName = s }
            else if let m = extends.mapping {
                baseName = m["service"]?.string
                baseFile = m["file"]?.string
            }
            if let baseName {
                let basePath = baseFile.map { interpolatedPath($0, relativeTo: document.directory) } ?? document.path
                let baseSignature = basePath + "\u{0}" + baseName
                if chain.contains(baseSignature) || baseSignature == signature {
                    let names = (chain + [signature, baseSignature]).map { s -> String in
                        let parts = s.split(separator: "\u{0}", maxSplits: 1).map(String.init)
                        return "\(parts.count > 1 ? parts[1] : s) (\(display(parts[0])))"
                    }
                    problems.append("\(at("extends")): extends cycle: \(names.joined(separator: " → "))")
                } else if chain.count + 1 > limits.maxExtendsDepth {
                    problems.append("\(at("extends")): extends chain longer than \(limits.maxExtendsDepth) services: not followed further")
                } else {
                    switch loadDocument(at: basePath) {
                    case .failure(let e):
                        problems.append("\(at("extends")): extends \(baseName) in \(display(basePath)): \(e.message)\(e.line.map { " (line \($0))" } ?? "")")
                    case .success(let other):
                        if other.services?[baseName] == nil {
                            problems.append("\(at("extends")): extends \(baseName): no such service in \(display(basePath))")
                        } else {
                            let hop = "extends \(baseName)\(basePath == document.path ? "" : " in \(display(basePath))") (\(at("extends")))"
                            var inherited = collect(service: baseName, in: other, chain: chain + [signature], problems: &problems)
                            for i in inherited.envFiles.indices { inherited.envFiles[i].via.append(hop) }
                            for k in inherited.environment.keys { inherited.environment[k]!.via.append(hop) }
                            layer = inherited
                        }
                    }
                }
            }
        }

        if let image = dict["image"] { layer.image = ComposeFile.scalarText(image) }
        if dict["build"] != nil { layer.hasBuild = true }
        if let c = dict["command"]?.list { layer.command = c.map(ComposeFile.scalarText).joined(separator: " ") }
        else if let c = dict["command"] { layer.command = ComposeFile.scalarText(c) }
        if let name = dict["container_name"] { layer.containerName = ComposeFile.scalarText(name) }

        // env_file: base's first, then this service's, in order (compose appends the lists).
        var references: [(text: String, required: Bool, keyPath: String)] = []
        if let s = dict["env_file"]?.string { references = [(s, true, "\(base)/env_file")] }
        else if let list = dict["env_file"]?.list {
            for (i, item) in list.enumerated() {
                let keyPath = "\(base)/env_file/\(i)"
                if let s = item.string { references.append((s, true, keyPath)) }
                else if let m = item.mapping, let p = m["path"]?.string {
                    references.append((p, m["required"]?.bool ?? true, "\(keyPath)/path"))
                }
            }
        }
        for r in references {
            guard layer.envFiles.count < limits.maxEnvFiles else {
                problems.append("\(here):\(document.line(path: r.keyPath) ?? 1): more than \(limits.maxEnvFiles) env files: the rest are not read")
                break
            }
            let line = document.line(path: r.keyPath) ?? document.line(path: "\(base)/env_file")
            layer.envFiles.append(EnvFileReference(path: interpolatedPath(r.text, relativeTo: document.directory), required: r.required,
                                                   declared: "\(here):\(line ?? 1): env_file \(r.text)",
                                                   via: ["env_file \(r.text) (\(here):\(line ?? 1))"]))
        }

        // environment: a mapping (NAME: value, null = pass-through) or a list (NAME=value, NAME).
        // Compose interpolates a mapping's values only (its keys stay as written), but a list
        // item whole, and splits it at its first '=' after: `- ${FLAG}=1` names the variable
        // FLAG holds, so the split must come second.
        if let m = dict["environment"]?.mapping {
            for (k, v) in m.sorted(by: { $0.key < $1.key }) {
                let value: String? = v.isNull ? nil : ComposeFile.scalarText(v)
                let keyPath = "\(base)/environment/\(k)"
                var resolved = ResolvedVariable(name: k, value: .passThroughUnset, kind: .environment, file: document.path,
                                                line: document.line(path: keyPath), written: "\(k): \(value ?? "")",
                                                via: [], uses: [], passedFrom: nil)
                if let value { interpolateValue(value, into: &resolved) } else { passThrough(&resolved) }
                layer.environment[k] = resolved
            }
        } else if let list = dict["environment"]?.list {
            for (i, item) in list.enumerated() {
                let text = ComposeFile.scalarText(item)
                let keyPath = "\(base)/environment/\(i)"
                var resolved = ResolvedVariable(name: text, value: .passThroughUnset, kind: .environment, file: document.path,
                                                line: document.line(path: keyPath), written: text, via: [], uses: [], passedFrom: nil)
                let interpolated: String
                do {
                    let (whole, uses) = try interpolation.interpolate(text)
                    interpolated = whole; resolved.uses = uses
                } catch {
                    // The name itself may hang on the failed reference: named where it is written.
                    resolved.name = text.firstIndex(of: "=").map { String(text[..<$0]) } ?? text
                    resolved.value = .unresolved("\(error)")
                    if case .missingRequired(let name, _) = error {
                        resolved.uses = [ComposeInterpolation.Use(name: name, op: .requiredNonEmpty, binding: nil, tookDefault: false, text: text)]
                    }
                    if resolved.name.contains("$") {
                        problems.append("\(here):\(resolved.line ?? 1): environment item \(text): the variable's name cannot be worked out: \(error)")
                    }
                    layer.environment[resolved.name] = resolved
                    continue
                }
                if let eq = interpolated.firstIndex(of: "=") {
                    resolved.name = String(interpolated[..<eq])
                    resolved.value = .set(String(interpolated[interpolated.index(after: eq)...]))
                } else {
                    resolved.name = interpolated
                    passThrough(&resolved)
                }
                layer.environment[resolved.name] = resolved
            }
        }
        return layer
    }

    private func interpolateValue(_ text: String, into v: inout ResolvedVariable) {
        do {
            let (value, uses) = try interpolation.interpolate(text)
            v.value = .set(value); v.uses = uses
        } catch {
            v.value = .unresolved("\(error)")
            if case .missingRequired(let name, _) = error {
                v.uses = [ComposeInterpolation.Use(name: name, op: .requiredNonEmpty, binding: nil, tookDefault: false, text: text)]
            }
        }
    }

    /// `- NAME` / `NAME:`: the value the shell or .env gives NAME, else unset.
    private func passThrough(_ v: inout ResolvedVariable) {
        if let binding = interpolation.lookup(v.name) { v.value = .set(binding.value); v.passedFrom = binding.source }
        else { v.value = .passThroughUnset }
    }

    /// A path as compose reads it: interpolated, then relative to the file that names it.
    private func interpolatedPath(_ text: String, relativeTo dir: String) -> String {
        let value = (try? interpolation.interpolate(text).value) ?? text
        let expanded = value.hasPrefix("~/") ? (ProcessInfo.processInfo.environment["HOME"] ?? "~") + value.dropFirst(1) : value
        return FileFacts.normalizedPath(expanded.hasPrefix("/") ? expanded : FileFacts.join(dir, expanded))
    }

    private func loadDocument(at path: String) -> Result<ComposeDocument, ComposeFile.ParseError> {
        if let known = documents[path] { return known }
        guard documents.count < limits.maxFiles else {
            return .failure(ComposeFile.ParseError(path: path, message: "more than \(limits.maxFiles) compose files in one extends graph: not read"))
        }
        let result: Result<ComposeDocument, ComposeFile.ParseError>
        do { result = .success(try ComposeDocument.load(path: path)) } catch { result = .failure(error) }
        documents[path] = result
        return result
    }

    /// An env file's assignments, interpolated as compose does (earlier lines of the same file
    /// first, then the shell and .env); single-quoted values are literal.
    private func readEnvFile(_ ref: EnvFileReference, problems: inout [String]) -> [ResolvedVariable] {
        let text: String
        if let known = envFiles[ref.path] {
            guard case .success(let t) = known else {
                if ref.required, case .failure(let e) = known { problems.append("\(ref.declared): \(display(ref.path)): \(e.message)") }
                return []
            }
            text = t
        } else {
            guard envFiles.count < limits.maxFiles * limits.maxEnvFiles else { return [] }
            do {
                text = try ComposeDocument.readText(ref.path, limit: limits.maxEnvFileBytes)
                envFiles[ref.path] = .success(text)
            } catch {
                envFiles[ref.path] = .failure(error)
                if ref.required { problems.append("\(ref.declared): \(display(ref.path)): \(error.message)") }
                return []
            }
        }
        // v1 interpolates an env_file against the shell only; v2 against the shell and .env.
        let outside = dialect == .composeV1 ? (shell ?? interpolation.lookup) : interpolation.lookup
        return dialect.read(text, path: ref.path, display: display(ref.path), lookup: outside).map { a in
            var v = ResolvedVariable(name: a.key, value: a.value.map { .set($0) } ?? .unresolved(a.failure ?? "?"), kind: .envFile,
                                    file: ref.path, line: a.line, written: "\(a.key)=\(a.written)", via: ref.via, uses: a.uses, passedFrom: nil)
            // A v1 `KEY` line without '=' passes the shell's KEY through.
            if a.value == nil && a.failure == nil {
                v.written = a.key
                if let binding = outside(a.key) { v.value = .set(binding.value); v.passedFrom = binding.source } else { v.value = .passThroughUnset }
            }
            return v
        }
    }
}

extension ResolvedVariable {
    /// "docker-compose.yml:9 `HF_HUB_OFFLINE: ${HF_HUB_OFFLINE:-1}`, via extends base (…)": where the
    /// value is written and how it reaches the service, then how it came to be what it is.
    public func route(display: (String) -> String) -> String {
        var s = "\(display(file))\(line.map { ":\($0)" } ?? "") \(written)"
        if !via.isEmpty { s += " (\(via.joined(separator: ", ")))" }
        return s
    }

    /// How the value came to be: "the default: HF_HUB_OFFLINE is not set", "HF_HUB_OFFLINE=1 from .env:3".
    public var derivation: String? {
        if let from = passedFrom { return "passed through from \(from)" }
        guard !uses.isEmpty else { return nil }
        let parts = uses.prefix(4).map { u -> String in
            let where_ = u.binding.map { "\(u.name)=\($0.value) from \($0.source)" } ?? "\(u.name) is not set"
            return u.tookDefault ? "\(u.text) took its default (\(where_))" : where_
        }
        return parts.joined(separator: "; ")
    }
}

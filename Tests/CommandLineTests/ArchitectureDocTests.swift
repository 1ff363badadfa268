import Foundation
import Testing
import TestSupport
import SystemProbes

/// Issue 30: `Package.swift` declares only edges a file uses, and docs/architecture.md draws
/// exactly the edges `Package.swift` declares.
@Suite("architecture: Package.swift and its drawing")
struct ArchitectureDocTests {
    static let repo = FileFacts.parent(of: FileFacts.parent(of: fixturesDir))

    /// The product targets of Package.swift (test targets and the fuzz target left out): name →
    /// (folder, declared dependencies), read from its `.target(` and `.executableTarget(` lines.
    static func targets() throws -> [String: (folder: String, deps: Set<String>)] {
        let text = try String(contentsOfFile: repo + "/Package.swift", encoding: .utf8)
        // The product part only: everything before the first test target.
        let head = text.components(separatedBy: ".testTarget(").first ?? text
        let pattern = try Regex(#"\.(?:executableTarget|target)\(name: "([^"]+)", dependencies: \[([^\]]*)\](?:, path: "([^"]+)")?"#)
        var out: [String: (String, Set<String>)] = [:]
        for m in head.matches(of: pattern) {
            let name = String(m.output[1].substring!)
            let list = String(m.output[2].substring!)
            let deps = list.matches(of: try Regex(#""([^"]+)""#)).map { String($0.output[1].substring!) }
                .filter { $0 != "swift-argument-parser" }
            let folder = m.output[3].substring.map(String.init) ?? "Sources/" + name
            out[name] = (folder, Set(deps))
        }
        return out
    }

    /// Every declared edge is imported by at least one file of the target.
    @Test func noDeclaredDependencyIsDead() throws {
        let targets = try Self.targets()
        #expect(targets.count >= 11, "\(targets.keys.sorted())")
        for (name, t) in targets {
            let folder = Self.repo + "/" + t.folder
            var imported = Set<String>()
            for file in try FileManager.default.subpathsOfDirectory(atPath: folder) where file.hasSuffix(".swift") {
                let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                    imported.insert(String(line.split(separator: " ").last!))
                }
            }
            let dead = t.deps.subtracting(imported).sorted()
            #expect(dead.isEmpty, "\(name) declares \(dead) and no file of \(t.folder) imports it")
        }
    }

    /// The check framework runs over a context it does not own: neither DoctorCore nor what
    /// it depends on (declared or imported) reaches the runbook's domain or the OS layer.
    @Test func theFrameworkKnowsNothingOfTheRunbook() throws {
        let targets = try Self.targets()
        var reached: Set<String> = [], next = ["DoctorCore"]
        while let name = next.popLast() {
            for d in targets[name]?.deps ?? [] where reached.insert(d).inserted { next.append(d) }
        }
        #expect(reached.isDisjoint(with: ["Runbook", "SystemProbes", "Yams", "Checks"]), "DoctorCore reaches \(reached.sorted())")
        let folder = Self.repo + "/Sources/DoctorCore"
        for file in try FileManager.default.subpathsOfDirectory(atPath: folder) where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                // `import X`, `@testable import X`, `@_exported import X`; never prose.
                guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
                      i == 0 || (i == 1 && words[0].hasPrefix("@")) else { continue }
                let module = String(words[i + 1])
                #expect(["Basics", "Foundation", "Glibc", "Musl"].contains(module), "Sources/DoctorCore/\(file) imports \(module)")
            }
        }
    }

    /// Issue 30: one JSON reader and one writer (`JSONLite`, `JSONValue`) in the product: no
    /// JSONSerialization, no Mirror, anywhere in the product.
    @Test func noFoundationJSONOrMirrorInTheProduct() throws {
        let stillUnderWay: Set<String> = []
        var found: [String] = []
        for folder in ["Sources", "checks"] {
            for file in try FileManager.default.subpathsOfDirectory(atPath: Self.repo + "/" + folder) where file.hasSuffix(".swift") {
                let path = folder + "/" + file
                guard !stillUnderWay.contains(path) else { continue }
                let text = try String(contentsOfFile: Self.repo + "/" + path, encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.components(separatedBy: "//").first ?? ""
                    if code.contains("JSONSerialization") || code.contains("Mirror(") { found.append("\(path):\(n + 1)") }
                }
            }
        }
        #expect(found == [], "Foundation's JSON or Mirror in the product: \(found)")
    }

    /// Issue 30: no `Any` in the product's code: results, plans and compose files are read
    /// through typed values (`JSONValue`, `YAMLNode`). Comments may name it.
    @Test func noAnyInTheProduct() throws {
        var found: [String] = []
        for folder in ["Sources", "checks"] {
            for file in try FileManager.default.subpathsOfDirectory(atPath: Self.repo + "/" + folder) where file.hasSuffix(".swift") {
                let path = folder + "/" + file
                let code = Self.withoutComments(try String(contentsOfFile: Self.repo + "/" + path, encoding: .utf8))
                for (n, line) in code.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where line.contains(/\bAny\b/) {
                    found.append("\(path):\(n + 1)")
                }
            }
        }
        #expect(found == [], "Any in the product: \(found)")
    }

    /// Issue 30: `bench --plan` reaches a README row through three calls into Bench (the plan,
    /// the preflight, the job); what happens between them is Bench's, not the command line's.
    @Test func benchsCommandLineMakesThreeCallsIntoBench() throws {
        let code = Self.withoutComments(try String(contentsOfFile: Self.repo + "/Sources/sllm-doctor/BenchCommand.swift", encoding: .utf8))
        for call in ["BenchPlan.load(path: plan, options:", "BenchPreflight.judge(", "job.run("] {
            #expect(code.components(separatedBy: call).count == 2, "\(call) once")
        }
        for inside in ["BenchSession", "BenchOutputs", "BenchPaths", "BenchEnvironment", "Watchdog.start", "ComposeCLI.detect", ".apply("] {
            #expect(!code.contains(inside), "BenchCommand.swift reaches into Bench: \(inside)")
        }
    }

    @Test func commentsAreLeftOutAndCodeIsKept() {
        let text = "let a: Any // Any\n/* Any\n /* Any */ Any */ x\nlet s = \"// not a comment\"; let b: Any\nlet t = \"\"\"\n// Any in a string\n\"\"\"\n"
        let kept = Self.withoutComments(text).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(kept.map { $0.contains(/\bAny\b/) } == [true, false, false, true, false, true, false, false])
    }

    /// Swift source with its comments blanked (line breaks kept, so line numbers hold): `//` to
    /// the end of the line and nested `/* */`, but not inside string literals.
    static func withoutComments(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        var blockDepth = 0
        var inString = false, multiline = false
        func at(_ s: String) -> Bool { i + s.utf8.count <= bytes.count && Array(bytes[i..<(i + s.utf8.count)]) == Array(s.utf8) }
        while i < bytes.count {
            let b = bytes[i]
            if blockDepth > 0 {
                if at("*/") { blockDepth -= 1; i += 2 } else if at("/*") { blockDepth += 1; i += 2 } else { if b == 10 { out.append(10) }; i += 1 }
            } else if inString {
                if b == 92, i + 1 < bytes.count { out += [b, bytes[i + 1]]; i += 2; continue }     // an escape
                if multiline ? at("\"\"\"") : b == 34 { inString = false; let n = multiline ? 3 : 1; out += bytes[i..<(i + n)]; i += n; continue }
                if b == 10 && !multiline { inString = false }
                out.append(b); i += 1
            } else if at("//") {
                while i < bytes.count && bytes[i] != 10 { i += 1 }
            } else if at("/*") {
                blockDepth = 1; i += 2
            } else if b == 34 {
                inString = true; multiline = at("\"\"\""); let n = multiline ? 3 : 1
                out += bytes[i..<(i + n)]; i += n
            } else {
                out.append(b); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A top-level declaration of a Swift file, as `benchTypeRule` reads it: a line that starts at
    /// column 0 with optional attributes (`@MainActor`) and modifiers, then `struct`, `enum`,
    /// `class`, `protocol`, `actor` or `extension` and a name.
    struct TopLevel: Equatable {
        var keyword: String
        var name: String
        var isPrivate: Bool
    }

    static func topLevelDeclarations(_ text: String) -> [TopLevel] {
        let modifiers: Set<String> = ["public", "private", "fileprivate", "internal", "package", "open", "final", "indirect", "nonisolated"]
        let keywords: Set<String> = ["struct", "enum", "class", "protocol", "actor", "extension"]
        var out: [TopLevel] = []
        for line in text.split(separator: "\n") where !line.hasPrefix(" ") && !line.hasPrefix("\t") {
            var words = line.split(separator: " ").map(String.init)[...]
            var isPrivate = false
            while let w = words.first, w.hasPrefix("@") || modifiers.contains(w) {
                if w == "private" || w == "fileprivate" { isPrivate = true }
                words = words.dropFirst()
            }
            guard let keyword = words.first, keywords.contains(keyword), let rest = words.dropFirst().first else { continue }
            let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." })
            out.append(TopLevel(keyword: keyword, name: name, isPrivate: isPrivate))
        }
        return out
    }

    /// What breaks the rule in one file of Sources/Bench (empty: it keeps it).
    static func benchTypeRuleBreaks(file: String, text: String) -> [String] {
        let stem = String((file.split(separator: "/").last ?? "").dropLast(".swift".count))
        // `Type+Topic.swift` holds extensions of Type; `Type.swift` holds Type.
        let owner = String(stem.split(separator: "+", maxSplits: 1).first ?? "")
        let isExtensionFile = stem.contains("+")
        var breaks: [String] = []
        let declarations = topLevelDeclarations(text)
        let types = declarations.filter { $0.keyword != "extension" && !$0.isPrivate }
        if isExtensionFile {
            if !types.isEmpty { breaks.append("declares \(types.map(\.name)) in an extension file") }
        } else if types.map(\.name) != [owner] {
            breaks.append("declares \(types.map(\.name)), expected exactly one type named \(owner)")
        }
        for e in declarations where e.keyword == "extension" {
            let extended = String(e.name.split(separator: ".").first ?? "")
            if extended != owner { breaks.append("extends \(e.name): belongs in \(extended).swift or \(extended)+Topic.swift") }
        }
        return breaks.map { "Sources/Bench/\(file) \($0)" }
    }

    /// Issue 30, "one main type per file, named after it", for every .swift file under
    /// Sources/Bench (subfolders included). Top level is column 0 (see `topLevelDeclarations`);
    /// `private` and `fileprivate` types are helpers of the file and are not counted.
    /// - `X.swift` declares exactly one top-level non-private type (struct, enum, class,
    ///   protocol, actor), and it is named X;
    /// - `X+Topic.swift` declares no top-level non-private type;
    /// - in either, every top-level `extension` extends X or a type nested in it (`X.Row`).
    /// Free functions and nested types are not restricted.
    @Test func benchHoldsOneTypePerFileNamedAfterIt() throws {
        let folder = Self.repo + "/Sources/Bench"
        let files = try FileManager.default.subpathsOfDirectory(atPath: folder).filter { $0.hasSuffix(".swift") }.sorted()
        #expect(files.count >= 40, "\(files)")
        var breaks: [String] = []
        for file in files {
            breaks += Self.benchTypeRuleBreaks(file: file, text: try String(contentsOfFile: folder + "/" + file, encoding: .utf8))
        }
        #expect(breaks == [], "\(breaks.joined(separator: "\n"))")
    }

    /// The reader behind the rule finds what it must, so the test above cannot pass by reading nothing.
    @Test func theTypeRuleReadsDeclarations() {
        let text = """
        import Basics

        /// A doc line.
        @MainActor public final class Runner: Sendable {
            struct Nested {}
        }
        private struct Helper {}
        extension Runner.Nested {}
        public indirect enum Other<Row> {}
        func free() {}
        """
        #expect(Self.topLevelDeclarations(text) == [
            TopLevel(keyword: "class", name: "Runner", isPrivate: false),
            TopLevel(keyword: "struct", name: "Helper", isPrivate: true),
            TopLevel(keyword: "extension", name: "Runner.Nested", isPrivate: false),
            TopLevel(keyword: "enum", name: "Other", isPrivate: false),
        ])
        #expect(Self.benchTypeRuleBreaks(file: "Runner.swift", text: text) == ["Sources/Bench/Runner.swift declares [\"Runner\", \"Other\"], expected exactly one type named Runner"])
        #expect(Self.benchTypeRuleBreaks(file: "Hooks/Other.swift", text: "enum Other {}\nextension Runner {}\n")
                == ["Sources/Bench/Hooks/Other.swift extends Runner: belongs in Runner.swift or Runner+Topic.swift"])
        #expect(Self.benchTypeRuleBreaks(file: "Runner+Causes.swift", text: "extension Runner {}\nprivate enum Key {}\n") == [])
        #expect(Self.benchTypeRuleBreaks(file: "Runner+Causes.swift", text: "struct Cause {}\n") == ["Sources/Bench/Runner+Causes.swift declares [\"Cause\"] in an extension file"])
    }

    /// docs/architecture.md lists each target with exactly the dependencies Package.swift declares.
    @Test func theDrawingIsPackageSwift() throws {
        let doc = try String(contentsOfFile: Self.repo + "/docs/architecture.md", encoding: .utf8)
        var drawn: [String: Set<String>] = [:]
        // The drawing is the first fenced block.
        let block = doc.components(separatedBy: "```").dropFirst().first ?? ""
        for line in block.split(separator: "\n") {
            let parts = line.components(separatedBy: " → ")
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.contains(" ") else { continue }
            drawn[name] = parts[1].hasPrefix("(") ? [] : Set(parts[1].components(separatedBy: ", "))
        }
        let declared = try Self.targets()
        // Basics declares nothing and is drawn with nothing; every other drawn line is a target.
        #expect(Set(drawn.keys) == Set(declared.keys).union(["Basics"]), "\(drawn.keys.sorted())")
        #expect(drawn["Basics"] == [])
        for (name, t) in declared {
            #expect(drawn[name] == t.deps, "\(name): drawn \(drawn[name].map { $0.sorted() } ?? []), declared \(t.deps.sorted())")
        }
    }
}

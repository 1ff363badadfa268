import Foundation
import Testing
import TestSupport
import DoctorCore
import Checks
import Repair
import SystemProbes
import Runbook
import Basics

/// The rules a check and a repair must keep to be part of sllm-doctor. A new check is one file
/// in `checks/`, one line in `Catalogue.swift` and its page in `docs/checks/`; this says so.
struct CatalogueContract {
    var checks: [any Check]
    /// File names in docs/checks.
    var docPages: [String]
    /// Each repair's `--only` name and the check id it repairs.
    var repairs: [(id: String, repairs: String)]
    /// The `fix --only` names `RepairHint` can write.
    var hintActions: [String]
    /// The check sources (file name, text): the hints they write by hand.
    var sources: [(file: String, text: String)]

    func violations() -> [String] {
        var out: [String] = []
        let ids = checks.map(\.id)
        var seen: Set<String> = []
        for id in ids where !seen.insert(id).inserted { out.append("\(id): id used twice") }
        for id in ids where CheckArea(checkID: id) == nil {
            out.append("\(id): expected AREA.name, AREA one of \(CheckArea.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let known = Set(ids)
        for c in checks { for d in c.dependsOn where !known.contains(d) { out.append("\(c.id): dependsOn \(d), no such check") } }
        let pages = Set(docPages.filter { $0.hasSuffix(".md") }.map { String($0.dropLast(3)) })
        for id in ids where !pages.contains(id) { out.append("\(id): no page docs/checks/\(id).md") }
        for page in pages.subtracting(known).sorted() { out.append("docs/checks/\(page).md: no check with that id") }
        let actions = Set(repairs.map(\.id))
        for r in repairs where !known.contains(r.repairs) { out.append("repair \(r.id): repairs \(r.repairs), no such check") }
        for a in hintActions where !actions.contains(a) { out.append("RepairHint.\(a): no repair with that name") }
        for (file, text) in sources {
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if line.drop(while: { $0 == " " }).hasPrefix("//") { continue }
                let at = "checks/\(file):\(n + 1)"
                if line.contains("CheckArea.") { out.append("\(at): states its area; the id's prefix says it") }
                // kubeadm's way: a profile builds its checks configured; no check asks which
                // profile it runs under (the profile's own files are where it is decided).
                if !Self.profileFiles.contains(file), line.contains("CheckProfile") || line.contains(".profile") {
                    out.append("\(at): asks for the profile; take what it changes as configuration set in catalogue(for:)")
                }
                if line.range(of: #"(?<![A-Za-z0-9_/])/nvme\b"#, options: .regularExpression) != nil {
                    out.append("\(at): the literal /nvme; use RunbookDefaults.mountPoint or RepairHint.mount")
                }
                for hint in Self.fixFlags(in: String(line)) {
                    switch hint.flag {
                    case "--only" where actions.contains(hint.value): break
                    case "--mount" where actions.contains("mount"): break
                    case "--only": out.append("\(at): fix --only \(hint.value), no such repair")
                    default: out.append("\(at): fix \(hint.flag), expected fix --only ACTION or fix --mount")
                    }
                }
            }
        }
        return out
    }

    /// Where profiles are defined and turned into checks.
    static let profileFiles: Set<String> = ["CheckProfile.swift", "Catalogue.swift", "CheckSubset.swift"]

    /// Each `fix --FLAG [VALUE]` written out in a line of source.
    static func fixFlags(in line: String) -> [(flag: String, value: String)] {
        let regex = /\bfix (--[a-z-]+)(?:[ =]([A-Za-z0-9_-]+))?/
        return line.matches(of: regex).map { (String($0.output.1), String($0.output.2 ?? "")) }
    }
}

@Suite("the catalogue contract")
struct CatalogueContractTests {
    static let repoRoot = FileFacts.parent(of: FileFacts.parent(of: fixturesDir))

    static func files(_ folder: String, ending suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: repoRoot + "/" + folder)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// Every profile's checks together (`check --profile snapshot` adds its own): one id each,
    /// each with its page.
    static let everyCheck = CheckProfile.allCases.flatMap { catalogue(for: $0) }.reduce(into: [any Check]()) { all, c in
        if !all.contains(where: { $0.id == c.id }) { all.append(c) }
    }

    @Test func theCatalogueKeepsTheContract() throws {
        let sources = Self.files("checks", ending: ".swift")
        #expect(sources.count > Self.everyCheck.count, "checks/ read from \(Self.repoRoot)")
        #expect(Self.everyCheck.count == allChecks.count + snapshotChecks.count)
        let contract = CatalogueContract(
            checks: allChecks + snapshotChecks, docPages: Self.files("docs/checks", ending: ".md"),
            repairs: allFixActions.map { ($0.id, $0.repairs) },
            hintActions: RepairHint.Action.allCases.map(\.rawValue),
            sources: try sources.map { ($0, try String(contentsOfFile: Self.repoRoot + "/checks/" + $0, encoding: .utf8)) })
        #expect(contract.violations() == [])
    }

    /// Each profile's catalogue keeps the contract on its own (its dependencies among its own
    /// checks, a page for each), and every profile builds the standard checks, configured.
    @Test(arguments: CheckProfile.allCases)
    func everyProfilesCatalogueKeepsTheContract(_ profile: CheckProfile) throws {
        let checks = catalogue(for: profile)
        let contract = CatalogueContract(
            checks: checks, docPages: Self.files("docs/checks", ending: ".md"),
            repairs: allFixActions.map { ($0.id, $0.repairs) },
            hintActions: RepairHint.Action.allCases.map(\.rawValue), sources: [])
        // Pages of other profiles' checks are theirs, not orphans.
        #expect(contract.violations().filter { !$0.hasSuffix("no check with that id") } == [])
        #expect(Array(checks.map(\.id).prefix(allChecks.count)) == allChecks.map(\.id))
    }

    /// The same rules on a catalogue broken every way they name: each break is reported, once.
    @Test func aBrokenCatalogueIsCaught() {
        struct Stub: Check {
            var id: String; var title = "stub"; var dependsOn: [String] = []
            func run(_ context: RunbookFacts) throws -> CheckResult { .pass("ok") }
        }
        let contract = CatalogueContract(
            checks: [Stub(id: "env.file"), Stub(id: "env.file"), Stub(id: "disk.speed"), Stub(id: "nodot"),
                     Stub(id: "storage.mount", dependsOn: ["env.file", "env.gone"])],
            docPages: ["env.file.md", "disk.speed.md", "nodot.md", "storage.old.md", "README.txt"],
            repairs: [("mount", "storage.mount"), ("folders", "storage.folders")],
            hintActions: ["mount", "folders", "defrag"],
            sources: [("StubCheck.swift", """
                // A comment may say fix --only anything and /nvme.
                let area = CheckArea.env
                return .fail("x", fix: "sllm-doctor fix --only defrag")
                return .fail("x", fix: "sudo sllm-doctor fix --mount /nvme --device X")
                return .fail("x", fix: "sllm-doctor fix --unmount \\(path), then sllm-doctor fix --only folders")
                let where_ = "/mnt/nvme is not /dev/nvme0n1"
                if context.profile == .prebaked { return prebaked(context) }
                """)])
        #expect(contract.violations() == [
            "env.file: id used twice",
            "disk.speed: expected AREA.name, AREA one of env, secrets, storage, model, offline, gpu, runtime, snapshot",
            "nodot: expected AREA.name, AREA one of env, secrets, storage, model, offline, gpu, runtime, snapshot",
            "storage.mount: dependsOn env.gone, no such check",
            "storage.mount: no page docs/checks/storage.mount.md",
            "docs/checks/storage.old.md: no check with that id",
            "repair folders: repairs storage.folders, no such check",
            "RepairHint.defrag: no repair with that name",
            "checks/StubCheck.swift:2: states its area; the id's prefix says it",
            "checks/StubCheck.swift:3: fix --only defrag, no such repair",
            "checks/StubCheck.swift:4: the literal /nvme; use RunbookDefaults.mountPoint or RepairHint.mount",
            "checks/StubCheck.swift:5: fix --unmount, expected fix --only ACTION or fix --mount",
            "checks/StubCheck.swift:7: asks for the profile; take what it changes as configuration set in catalogue(for:)",
        ])
    }

    @Test func theAreaIsTheIdsPrefix() {
        #expect(CheckArea(checkID: "storage.mount") == .storage)
        #expect(CheckArea(checkID: "model.store-server") == .model)
        #expect(CheckArea(checkID: "storage") == nil)
        #expect(CheckArea(checkID: "disk.mount") == nil)
        #expect(Self.everyCheck.map(\.area).map(\.rawValue) == Self.everyCheck.map { String($0.id.split(separator: ".")[0]) })
    }

    /// The hints' spelling: what the checks printed before `RepairHint`, byte for byte.
    @Test func hintsSpellFixAsBefore() {
        #expect(RepairHint.mount() == "sudo sllm-doctor fix --mount /nvme")
        #expect(RepairHint.mount(device: "/dev/nvme1n1", format: true) == "sudo sllm-doctor fix --mount /nvme --device /dev/nvme1n1 --format")
        #expect(RepairHint.only(.storeCleanup) == "sllm-doctor fix --only store-cleanup")
        #expect(RepairHint.only(.folders, sudo: true) == "sudo sllm-doctor fix --only folders")
        #expect(RunbookDefaults["MODEL_FOLDER"] == "/nvme/sllm-models")
    }
}

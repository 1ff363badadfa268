import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// A variant's `snapshot:` key: where its CRIU image lies and how `vllm_snapshot` runs.
public struct SnapshotSpec: Sendable, Equatable {
    /// The image folder (absolute); bench makes the image there once when it holds none.
    public var image: String
    /// The Python that runs `python -m vllm_snapshot`.
    public var python: String
    /// `--vllm-version` for create and restore (nil: the package's own lookup).
    public var vllmVersion: String?
    /// The folder holding the `vllm_snapshot` package (integrations/vllm-snapshot).
    public var pythonPath: String

    public init(image: String, python: String, vllmVersion: String? = nil, pythonPath: String) {
        self.image = image; self.python = python; self.vllmVersion = vllmVersion; self.pythonPath = pythonPath
    }

    /// The package as this repository lays it out.
    public static func defaultPath(root: String) -> String { FileFacts.join(root, "integrations/vllm-snapshot") }

    /// The image's metadata file, written last by `vllm_snapshot create`: its presence means an image.
    public var metadataPath: String { FileFacts.join(image, SnapshotImageMetadata.fileName) }

    static let keys: Set<String> = ["image", "python", "vllm_version", "pythonpath"]

    /// `snapshot: {image: DIR, python: PY, vllm_version: V, pythonpath: DIR}` of one variant; `place` names the
    /// plan file and the variant in errors.
    static func parse(_ value: YAMLNode, variant: Variant, at place: String, context: RunbookFacts) throws -> SnapshotSpec {
        guard let m = value.mapping else {
            throw PlanError("\(place): snapshot must be a mapping (image: DIR, python: PY, vllm_version: V)", key: "snapshot")
        }
        if let unknown = m.keys.sorted().first(where: { !keys.contains($0) }) {
            throw PlanError("\(place): snapshot.\(unknown) is not a key of snapshot (expected image, python, vllm_version, pythonpath)", key: "snapshot.\(unknown)")
        }
        guard case .command(let argv, _, _) = variant.launch, variant.kind == .restart else {
            throw PlanError("\(place): snapshot needs a restart variant with a command: the command starts the fresh server the image is made from", key: "snapshot")
        }
        guard !variant.template else {
            throw PlanError("\(place): snapshot and template: true exclude each other (a restore starts no Python to fork)", key: "snapshot")
        }
        guard let image = m["image"]?.string, !image.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw PlanError("\(place): snapshot.image must be the image folder (a path)", key: "snapshot.image")
        }
        func text(_ key: String) throws -> String? {
            guard let x = m[key] else { return nil }
            switch x {
            case .list, .mapping, .bool:
                throw PlanError("\(place): snapshot.\(key) must be a single word", key: "snapshot.\(key)")
            default: break
            }
            let s = x.scalarText
            guard !s.isEmpty, !s.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw PlanError("\(place): snapshot.\(key) must be a single word, not '\(s.prefix(40))'", key: "snapshot.\(key)")
            }
            return s
        }
        let python = try text("python") ?? defaultPython(argv)
        return SnapshotSpec(image: context.absolute(image), python: python, vllmVersion: try text("vllm_version"),
                            pythonPath: try text("pythonpath").map(context.absolute) ?? defaultPath(root: context.root))
    }

    /// The command's own Python when it starts with one, else python3.
    static func defaultPython(_ argv: [String]) -> String {
        guard let first = argv.first, (first.split(separator: "/").last.map(String.init) ?? first).hasPrefix("python") else { return "python3" }
        return first
    }

    /// The environment `vllm_snapshot` runs with: the package first on PYTHONPATH.
    func environment(_ base: [String: String]) -> [String: String] {
        var env = base
        let paths = (base["PYTHONPATH"] ?? "").split(separator: ":").map(String.init)
        if !paths.contains(pythonPath) { env["PYTHONPATH"] = ([pythonPath] + paths).joined(separator: ":") }
        return env
    }

    var versionArgs: [String] { vllmVersion.map { ["--vllm-version", $0] } ?? [] }

    /// The command a run starts as its server: the restorer, which stays in the foreground.
    var restoreArgv: [String] { [python, "-m", "vllm_snapshot", "restore", "--image", image] + versionArgs }

    func createArgv(pid: pid_t, url: String) -> [String] {
        [python, "-m", "vllm_snapshot", "create", "--pid", String(pid), "--image", image, "--url", url] + versionArgs
    }
}

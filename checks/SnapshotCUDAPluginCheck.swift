import DoctorCore
import SystemProbes
import Runbook
import Basics

/// CRIU's CUDA plugin is where CRIU looks for plugins: without it CRIU cannot dump a process
/// that holds a GPU (the plugin runs cuda-checkpoint around the dump and the restore).
public struct SnapshotCUDAPluginCheck: Check {
    public let id = "snapshot.cuda-plugin"
    public let title = "CRIU's CUDA plugin installed"
    public init() {}

    /// CRIU's built-in plugin folder (CR_PLUGIN_DEFAULT), then where `make install` puts it.
    static let defaultFolder = "/usr/lib/criu"
    static let localFolder = "/usr/local/lib/criu"
    static let plugin = "cuda_plugin.so"

    public func run(_ context: CheckContext) throws -> CheckResult {
        var evidence = Evidence()
        var found: [String] = []
        for folder in [Self.defaultFolder, Self.localFolder] {
            let path = context.hostPath(FileFacts.join(folder, Self.plugin))
            let facts = FileFacts.facts(path)
            let isFile = facts.exists && !facts.isDirectory
            evidence[folder] = isFile ? "\(Self.plugin), \(formatBytes(facts.size))" : "no \(Self.plugin)"
            if isFile { found.append(folder) }
        }
        if found.contains(Self.defaultFolder) {
            return .pass("\(Self.plugin) in \(Self.defaultFolder), where CRIU looks", evidence: evidence)
        }
        if let other = found.first {
            return .warn("\(Self.plugin) is in \(other), but CRIU looks in \(Self.defaultFolder) unless told: a dump would not load it",
                         evidence: evidence,
                         fix: "pass criu --libdir \(other), or link it: sudo ln -s \(other)/\(Self.plugin) \(Self.defaultFolder)/")
        }
        return .fail("no \(Self.plugin) in \(Self.defaultFolder) or \(Self.localFolder): CRIU cannot dump a process that holds a GPU",
                     evidence: evidence,
                     fix: "install CRIU \(CRIUVersion.cudaPlugin) or later with its cuda plugin (CRIU's sources: plugins/cuda), so that \(Self.plugin) lands in \(Self.defaultFolder)")
    }
}

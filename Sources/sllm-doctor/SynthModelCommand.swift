import ArgumentParser
import Bench
import Repair
import ServerClient
import Startup
import ModelSynth
import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

struct SynthModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth-model",
        abstract: "Write a random-weight model of a real model's shape into an HF cache (no download, no token).",
        discussion: "Shapes: \(ModelShape.all.keys.sorted().joined(separator: ", ")). The text it generates is meaningless; load and start-up behave like the real model's.")

    @Option(help: "Shape to write.") var shape: String
    @Option(name: .customLong("hf-home"), help: "HF_HOME (the model goes to HF_HOME/hub).") var hfHome: String
    @Option(help: "Repository id to file it under (ORG/NAME).") var repo: String
    @Option(name: .customLong("store-dir"), help: "Also write the ServerlessLLM store layout under this MODEL_FOLDER.") var storeDir: String?
    @Option(name: .customLong("shard-size"), help: "Largest shard, e.g. 5GB.") var shardSize: String = "5GB"

    func run() throws {
        guard let s = ModelShape.all[shape] else {
            throw UsageError("--shape \(shape): expected one of \(ModelShape.all.keys.sorted().joined(separator: ", "))")
        }
        guard repo.split(separator: "/").count == 2 else { throw UsageError("--repo \(repo): expected ORG/NAME") }
        guard let limit = parseByteSize(shardSize), limit > 0 else { throw UsageError("--shard-size \(shardSize): expected a size like 5GB") }
        var model = SynthModel(shape: s, repo: repo, hubDir: FileFacts.join(FileFacts.canonicalPath(hfHome), "hub"))
        model.shardLimit = Int(limit)
        if let space = FileFacts.space(FileFacts.canonicalPath(hfHome).isEmpty ? "/" : nearestExisting(hfHome)), space.freeBytes < UInt64(s.totalBytes) {
            throw UsageError("\(hfHome) has \(formatBytes(space.freeBytes)) free; the \(shape) shape needs \(formatBytes(UInt64(s.totalBytes)))")
        }
        // Every output, the store's too, before the first byte: a refusal half-way would leave
        // a model that looks written.
        if let problem = model.outputProblem(storeFolder: storeDir.map { FileFacts.canonicalPath($0) }) { throw problem }
        Output.err("writing \(shape) (\(formatBytes(UInt64(s.totalBytes))) of bf16 weights) as \(repo)\n")
        let w = try model.write { Output.err("  \($0)\n") }
        Output.out("snapshot: \(w.snapshot)\nshards: \(w.shards.count)\nbytes: \(w.bytes)\n")
        Output.out(String(format: "write speed: %.0f MB/s (%.2f s)\n", w.mbPerSecond, w.seconds))
        if let storeDir {
            let dir = try model.writeStoreLayout(modelFolder: FileFacts.canonicalPath(storeDir))
            Output.out("store layout: \(dir)\n")
        }
    }

    func nearestExisting(_ path: String) -> String {
        var p = FileFacts.canonicalPath(path)
        while !FileFacts.exists(p) && p != "/" { p = FileFacts.parent(of: p) }
        return p
    }
}

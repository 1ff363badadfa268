import ArgumentParser

struct SynthModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "synth-model", abstract: "(in progress)")
    func run() throws { throw UsageError("synth-model is not built yet") }
}

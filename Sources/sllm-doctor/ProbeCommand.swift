import ArgumentParser

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "probe", abstract: "(in progress)")
    func run() throws { throw UsageError("probe is not built yet") }
}

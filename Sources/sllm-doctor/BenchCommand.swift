import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(in progress)")
    func run() throws { throw UsageError("bench is not built yet") }
}

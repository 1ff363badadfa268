import ArgumentParser

struct AnatomyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "anatomy", abstract: "(in progress)")
    func run() throws { throw UsageError("anatomy is not built yet") }
}

import ArgumentParser

struct FixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fix", abstract: "(in progress)")
    func run() throws { throw UsageError("fix is not built yet") }
}

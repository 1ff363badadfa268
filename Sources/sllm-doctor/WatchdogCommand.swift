import ArgumentParser
import Bench

/// Started by `bench` itself; not for people (hidden from help).
struct WatchdogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watchdog",
        abstract: "Stops the servers bench registered on stdin when stdin closes (bench ended).",
        shouldDisplay: false)

    func run() throws { Watchdog.serve() }
}

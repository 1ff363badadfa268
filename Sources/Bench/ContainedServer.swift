import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// A server in a container: the offline proof reads the environment it was given.
public protocol ContainedServer: ServerHandle {
    /// What the server is called in messages (the compose service).
    var service: String { get }
    /// The container's environment as the server sees it (nil: it could not be read).
    func environment() -> [String: String]?
}

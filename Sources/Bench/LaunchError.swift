import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// A server could not be started at all (as opposed to starting and then dying).
public struct LaunchError: Error, CustomStringConvertible {
    public var description: String
    /// The Docker engine is gone: no later run can start either.
    public var engineLost = false
    public init(_ d: String, engineLost: Bool = false) { description = d; self.engineLost = engineLost }
}

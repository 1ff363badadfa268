import DoctorCore
import Foundation
import SystemProbes
import Runbook
import Basics

/// Where the template's Python side is and what it imports (`template:` in a plan).
public struct TemplateSpec: Sendable, Equatable {
    /// The folder holding the `vllm_template` package (integrations/vllm-template).
    public var pythonPath: String
    /// Modules it imports; empty: its own default (torch and vLLM's serve path).
    public var preload: [String] = []
    /// Packages whose change on disk makes it stale; empty: its default (torch, vllm).
    public var watch: [String] = []
    public init(pythonPath: String, preload: [String] = [], watch: [String] = []) {
        self.pythonPath = pythonPath; self.preload = preload; self.watch = watch
    }

    /// The package as this repository lays it out.
    public static func defaultPath(root: String) -> String { FileFacts.join(root, "integrations/vllm-template") }
}

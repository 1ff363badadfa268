import ArgumentParser
import DoctorCore
import Fleet
import Foundation
import Runbook
import SystemProbes
import Basics

/// `fleet`: the doctor across a Kubernetes fleet, from what kubectl prints.
struct FleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Compare the nodes' check reports; time a scale-up from kubectl's pods and events.",
        subcommands: [Report.self, Timeline.self])

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Node × check matrix from per-node `check --json` reports (files, folders, or `kubectl logs -l app=sllm-doctor --prefix --tail=-1` output).",
            discussion: "Exit status: 0 no node fails, 1 a node fails, 2 unusable input (the file is named).")

        @Argument(help: "Report files, folders of them, or saved kubectl logs --prefix output.")
        var inputs: [String]

        @Flag(help: "Print one JSON object instead of the matrix.")
        var json = false

        func run() throws {
            let fleet = try FleetReport.load(inputs)
            let renderer = FleetRenderer()
            if json { Output.json(renderer.json(fleet)) } else { Output.out(renderer.text(fleet)) }
            if fleet.anyFailing { throw ExitCode(DoctorExit.failed.rawValue) }
        }
    }

    struct Timeline: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "timeline",
            abstract: "Scale-up timeline per pod: wait for a node, image pull, start, Ready; the slowest phase; pods never Ready.",
            discussion: "Input: `kubectl get pods -l app=NAME -o json` and `kubectl get events -o json`. Exit status: 0 all pods Ready, 1 a pod never became Ready, 2 unusable input (the file is named).")

        @Option(help: "kubectl get pods -o json output.")
        var pods: String

        @Option(help: "kubectl get events -o json output.")
        var events: String

        @Option(help: "Where to write the SVG chart (default scale-up-timeline.svg; with --json, only when given). Only a new file or a regular file is replaced.")
        var svg: String?

        @Flag(help: "Print one JSON object instead of the table.")
        var json = false

        static let defaultSVG = "scale-up-timeline.svg"

        func run() throws {
            // A path the user named is checked before anything is read or printed: refused, it
            // is exit 2 and nothing is written.
            if let svg, let problem = OutputFile.problem(svg) { throw UsageError("--svg \(problem)") }
            let timeline = try ScaleUpTimeline.load(podsFile: pods, eventsFile: events)
            var written: String?
            if let path = svg ?? (json ? nil : Self.defaultSVG) {
                do {
                    try OutputFile.write(path, text: Redactor(secrets: []).callAsFunction(TimelineChart.svg(timeline)))
                    written = path
                } catch {
                    if svg != nil { throw UsageError("--svg \(error)") }
                    // The default chart is a convenience: the table still comes out.
                    Output.err(Output.redact("sllm-doctor: note: chart not written: \(error) (pass --svg PATH)\n"))
                }
            }
            let renderer = TimelineRenderer()
            if json { Output.json(renderer.json(timeline, svgPath: written)) } else { Output.out(renderer.text(timeline, svgPath: written)) }
            if !timeline.neverReady.isEmpty { throw ExitCode(DoctorExit.failed.rawValue) }
        }
    }
}

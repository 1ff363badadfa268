import ArgumentParser
import DoctorCore
import Fleet
import Foundation
import Runbook
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

        @Option(help: "Where to write the SVG chart.")
        var svg = "scale-up-timeline.svg"

        @Flag(help: "Print one JSON object instead of the table.")
        var json = false

        func run() throws {
            let timeline = try ScaleUpTimeline.load(podsFile: pods, eventsFile: events)
            do { try Redactor(secrets: []).callAsFunction(TimelineChart.svg(timeline)).write(toFile: svg, atomically: true, encoding: .utf8) } catch {
                throw UsageError("--svg \(svg): cannot write (\(error.localizedDescription))")
            }
            let renderer = TimelineRenderer()
            if json { Output.json(renderer.json(timeline, svgPath: svg)) } else { Output.out(renderer.text(timeline, svgPath: svg)) }
            if !timeline.neverReady.isEmpty { throw ExitCode(DoctorExit.failed.rawValue) }
        }
    }
}

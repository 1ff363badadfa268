import Runbook
import SystemProbes

extension BenchPlan {
    /// The plan a bench runs: the plan file (nil: the runbook's compose services) with the
    /// command line's options applied (explore's knobs, the wake variant, runs, timeouts).
    public static func load(path: String?, options: BenchOptions, context: RunbookFacts) throws -> BenchPlan {
        var plan = try path.map { try load(path: $0, context: context) } ?? runbookDefault(context)
        try plan.apply(options, environment: context.processEnvironment, root: context.root)
        return plan
    }

    /// The plan as this bench runs it: the flags applied over the file's values, explore's
    /// knobs or the wake variant added, the template's folder settled.
    public mutating func apply(_ o: BenchOptions, environment: [String: String], root: String) throws {
        try o.validate()
        mode = o.mode
        if let runs = o.runs { self.runs = runs }
        dropCaches = o.dropCaches
        offline = o.offline
        note = o.note
        if let t = o.readyTimeout { readyTimeout = t }
        if let g = o.stopGrace { stopGrace = g }
        if o.explore {
            guard let first = variants.first else { throw ExploreError("--explore needs a plan with at least one variant") }
            let templateFolder = templateSpec?.pythonPath ?? TemplateSpec.defaultPath(root: root)
            let templateHere = FileFacts.exists(FileFacts.join(templateFolder, "vllm_template/__main__.py"))
            variants = try Explore.select(Explore.variants(from: first, environment: environment, template: templateHere), knobs: o.knobs)
            explore = true
            decodeProbeTokens = Explore.decodeTokens
            if o.runs == nil { self.runs = 1 }
        }
        if o.wake {
            guard let first = variants.first, case .command = first.launch else {
                throw PlanError("--wake needs the first variant to be a plain command; add `kind: wake` to the plan instead", key: "--wake")
            }
            variants.append(Variant(name: "sleep-wake", kind: .wake, launch: first.launch, port: first.port))
        }
        if usesTemplate && templateSpec == nil { templateSpec = TemplateSpec(pythonPath: TemplateSpec.defaultPath(root: root)) }
        if o.sleepLevel2 { for i in variants.indices where variants[i].kind == .wake { variants[i].sleepLevel = 2 } }
    }
}

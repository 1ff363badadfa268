import Foundation

/// A time axis people read: from 0 to a round top in round steps (1, 2 or 5 × 10^k), and one
/// unit for every figure on the chart (seconds once the axis reaches 10 s, else milliseconds).
public struct ChartScale: Sendable, Equatable {
    public enum Unit: String, Sendable { case ms, s }
    public var unit: Unit
    /// Tick spacing and the axis' top, in ms; `top` is a whole number of steps.
    public var stepMs: Double
    public var topMs: Double

    /// An axis for values up to `maxMs`, with room above the largest value for its label, in at
    /// most `maxIntervals` round steps (the smallest step that needs no more).
    public init(maxMs: Double, maxIntervals: Int = 6) {
        let reach = max(maxMs.isFinite ? maxMs : 1, 1) * 1.08
        stepMs = Self.roundStep(reach / Double(max(1, maxIntervals)))
        topMs = (reach / stepMs).rounded(.up) * stepMs
        unit = topMs >= 10_000 ? .s : .ms
    }

    /// The smallest 1, 2 or 5 × 10^k at least `raw`.
    public static func roundStep(_ raw: Double) -> Double {
        let power = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2, 5] where m * power >= raw * (1 - 1e-9) { return m * power }
        return 10 * power
    }

    public var ticksMs: [Double] { (0...Int((topMs / stepMs).rounded())).map { Double($0) * stepMs } }

    var divisor: Double { unit == .s ? 1000 : 1 }
    /// Decimals that show every tick exactly (a 0.5 s step needs one).
    var decimals: Int { max(0, Int(-(log10(stepMs / divisor) + 1e-9).rounded(.down))) }

    /// A tick's number, in the chart's unit (the axis title names the unit once).
    public func tick(_ ms: Double) -> String { String(format: "%.\(decimals)f", ms / divisor) }

    /// A figure with its unit: `2002 ms`, `31.4 s`.
    public func value(_ ms: Double) -> String {
        unit == .s ? String(format: "%.\(max(1, decimals))f s", ms / 1000) : String(format: "%.0f ms", ms)
    }
}

/// A byte count as people read it: 512 B, 1.5 KiB, 3.2 GiB (powers of 1024, one decimal).
public func formatBytes(_ bytes: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : formatDecimal(value, places: 1) + " " + units[unit]
}

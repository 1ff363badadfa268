public enum BenchMode: String, Sendable, CaseIterable { case restart, coldstart }

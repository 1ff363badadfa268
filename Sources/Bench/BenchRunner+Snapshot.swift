extension BenchRunner {
    public static let snapshotDiffersCause = SnapshotRuns.differsCause
    public static let snapshotRestoreCause = SnapshotRuns.restoreCause
    public static let snapshotCreateCause = SnapshotRuns.createCause
}

public import PipelineRuntime

extension RRDSourceConfiguration: RangedSourceConfiguration {
    /// RRD rows are stamped at the end of their interval: a window `[from, to)` is the rows
    /// stamped in `(from, to]` (seconds), read whole (`mode: backfill`); the transform then wants
    /// `mode: rrd`.
    public static func rangeOptions(from: Int64, to: Int64) -> [WindowOption] {
        [WindowOption("since", "\(from / 1_000_000_000 + 1)"), WindowOption("until", "\(to / 1_000_000_000)"), WindowOption("mode", "backfill")]
    }
}

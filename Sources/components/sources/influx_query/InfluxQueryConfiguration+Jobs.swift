public import PipelineRuntime

extension InfluxQueryConfiguration: RangedSourceConfiguration {
    /// `from` inclusive, `to` exclusive, in nanoseconds, as the query takes them.
    public static func rangeOptions(from: Int64, to: Int64) -> [WindowOption] {
        [WindowOption("from", "\(from)"), WindowOption("to", "\(to)")]
    }
}

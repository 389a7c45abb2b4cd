extension Duration {
    /// Whole nanoseconds (truncated toward zero), saturating at `Int64.min` / `Int64.max`: the
    /// one conversion from a configured duration to the model's nanosecond times. Where NIO
    /// wants a `TimeAmount`, use its `TimeAmount(_ duration:)`.
    @inlinable
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, scaledOverflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, sumOverflow) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !scaledOverflow, !sumOverflow else { return seconds < 0 ? .min : .max }
        return sum
    }
}

public import EventModel

/// Tumbling event-time windows per series, closed by each series' watermark.
///
/// A series' watermark is its newest event time minus the allowed lateness: series are read at
/// their own pace (an RRD backfill reads one file's whole history, then the next), so one
/// series' clock must not close another's windows. A window covers `[start, start + window)`;
/// in `rrd` mode `(start, start + window]`, as RRD rows do. It is emitted once its series'
/// watermark has passed its end. With `idleTimeout`, a series whose newest point is that far
/// behind the newest point of any series also has its windows closed (a target that was
/// removed). A point for a window already closed is late: counted and dropped, or (`update`)
/// folded into the retained window, which is emitted again. A point stamped after
/// `futureLimit` is dropped and counted: one bad clock must not close every window. A series
/// no point arrived for during `forgetAfter` of processing time has its windows closed and
/// is forgotten (`forgetSilentSeries`), so tag churn does not grow the state for good.
public struct Downsampler: Sendable {
    public enum Outcome: Sendable, Equatable {
        case accepted
        /// Late, counted and dropped.
        case late
        /// Late, folded into a retained closed window that will be emitted again.
        case corrected
        /// Not a measurement this downsampler takes.
        case ignored
        /// Stamped after `futureLimit`, counted and dropped.
        case future
    }

    struct SeriesState: Sendable, Codable {
        var newest: Int64
        /// Windows whose index is below this are closed.
        var closedBelow: Int64 = .min
        var windows: [Int64: WindowAccumulator] = [:]
        /// Closed windows to emit: completed by the watermark, or changed by late points.
        var ready: Set<Int64> = []
        /// When the last point arrived, on the caller's processing clock (`processingTime`).
        var lastSeen: Int64?

        /// Closes the windows below the watermark's window.
        mutating func close(below boundary: Int64) {
            guard boundary > closedBelow else { return }
            for index in windows.keys where index < boundary && index >= closedBelow { ready.insert(index) }
            closedBelow = boundary
        }
    }

    public let rules: DownsampleRules
    public var idleTimeout: Int64?
    /// The latest stamp taken (the wall clock plus a tolerance, set by the caller); nil: any.
    public var futureLimit: Int64?
    /// The caller's processing clock (monotonic nanoseconds), noted per series as it is seen.
    public var processingTime: Int64 = 0
    var series: [SeriesKey: SeriesState] = [:]
    /// Series with windows to emit (listed when their first one became ready), so a point
    /// costs one hash of its series, not two.
    var readyKeys: [SeriesKey] = []
    /// Newest event time of any series (for the idle rule).
    public internal(set) var newestEventTime: Int64?
    public internal(set) var lateDropped = 0
    public internal(set) var futureDropped = 0

    public init(rules: DownsampleRules) {
        self.rules = rules
    }

    public var activeSeries: Int { series.count }
    public var openWindows: Int { series.values.reduce(0) { $0 + $1.windows.count } }

    /// rrd windows end-inclusive: shift by one nanosecond so both kinds index the same way.
    func windowIndex(_ timestamp: Int64) -> Int64 { Self.windowIndex(timestamp, rules) }

    @inline(__always)
    static func windowIndex(_ timestamp: Int64, _ rules: DownsampleRules) -> Int64 {
        let time = rules.mode == .rrd ? timestamp.subtractingSaturated(1) : timestamp
        return time.floorDivided(by: rules.window)
    }

    public mutating func add(_ point: Point) -> Outcome {
        guard rules.measurements[point.measurement] != nil else { return .ignored }
        if let futureLimit, point.timestamp > futureLimit {
            futureDropped += 1
            return .future
        }
        let index = Self.windowIndex(point.timestamp, rules)
        let key = SeriesKey(point)
        let (outcome, becameReady) = Self.fold(
            point, index: index, into: &series[key, default: SeriesState(newest: point.timestamp)], rules: rules, seen: processingTime)
        if becameReady { readyKeys.append(key) }
        if outcome == .late { lateDropped += 1 }
        if outcome == .accepted, point.timestamp > newestEventTime ?? .min { newestEventTime = point.timestamp }
        return outcome
    }

    private static func fold(
        _ point: Point, index: Int64, into state: inout SeriesState, rules: DownsampleRules, seen: Int64
    ) -> (Outcome, becameReady: Bool) {
        let wasReady = !state.ready.isEmpty
        state.lastSeen = seen
        if index < state.closedBelow {
            guard rules.lateData == .update, state.windows[index] != nil else { return (.late, false) }
            state.windows[index]!.add(point, rules: rules)
            state.ready.insert(index)
            return (.corrected, !wasReady)
        }
        state.windows[index, default: WindowAccumulator()].add(point, rules: rules)
        if point.timestamp > state.newest {
            state.newest = point.timestamp
            // Closing point by point, so a late point in the same batch is late all the same.
            state.close(below: Self.windowIndex(state.newest.subtractingSaturated(rules.allowedLateness), rules))
        }
        return (.accepted, !wasReady && !state.ready.isEmpty)
    }

    /// Emits every window the watermarks have completed, and corrected ones; forgets closed
    /// windows past the update horizon.
    public mutating func advance() -> [Point] {
        var emitted: [Point] = []
        var keys = readyKeys
        readyKeys.removeAll(keepingCapacity: true)
        if let idleTimeout, let newest = newestEventTime {
            let idleBefore = newest.subtractingSaturated(idleTimeout)
            for (key, state) in series where state.newest < idleBefore && !state.windows.isEmpty && state.ready.isEmpty { keys.append(key) }
        }
        for key in keys {
            guard var state = series[key] else { continue }
            if let idleTimeout, let newest = newestEventTime, state.newest < newest.subtractingSaturated(idleTimeout) {
                state.close(below: windowIndex(newest.subtractingSaturated(rules.allowedLateness)))
            }
            for index in state.ready {
                if let window = state.windows[index], let point = output(key, index, window) { emitted.append(point) }
            }
            state.ready.removeAll()
            forgetExpired(&state)
            series[key] = state
        }
        return emitted.sorted(by: Self.outputOrder)
    }

    /// Emits every open window, complete or not (the end of a finite input with nowhere to keep
    /// state), and closes them.
    public mutating func flushAll() -> [Point] {
        var emitted = advance()
        for (key, var state) in series {
            for (index, window) in state.windows where index >= state.closedBelow {
                if let point = output(key, index, window) { emitted.append(point) }
            }
            state.closedBelow = max(state.closedBelow, (state.windows.keys.max() ?? .min) + 1)
            state.windows.removeAll()
            series[key] = state
        }
        return emitted.sorted(by: Self.outputOrder)
    }

    /// Emits every window of the series no point arrived for since `before` (processing time)
    /// and forgets them: a target removed, or tags that changed. One that comes back starts
    /// afresh, as after a restart without state.
    public mutating func forgetSilentSeries(before: Int64) -> [Point] {
        var emitted: [Point] = []
        let silent = series.filter { ($0.value.lastSeen ?? .min) < before }
        for (key, state) in silent {
            for (index, window) in state.windows where index >= state.closedBelow || state.ready.contains(index) {
                if let point = output(key, index, window) { emitted.append(point) }
            }
            series[key] = nil
        }
        if !silent.isEmpty { readyKeys.removeAll { series[$0] == nil } }
        return emitted.sorted(by: Self.outputOrder)
    }

    /// Every series counts as seen now (after a restore: the processing clock restarted).
    public mutating func markAllSeen() {
        for key in series.keys { series[key]?.lastSeen = processingTime }
    }

    private func forgetExpired(_ state: inout SeriesState) {
        var keepFrom = state.closedBelow
        if rules.lateData == .update, keepFrom != .min {
            keepFrom -= (rules.updateHorizon + rules.window - 1) / rules.window
        }
        if state.windows.keys.contains(where: { $0 < keepFrom }) {
            state.windows = state.windows.filter { $0.key >= keepFrom }
        }
    }

    func output(_ series: SeriesKey, _ index: Int64, _ window: WindowAccumulator) -> Point? {
        let fields = window.fields(rules: rules)
        guard !fields.isEmpty, let measurement = rules.measurements[series.measurement] else { return nil }
        let start = index.multipliedSaturated(by: rules.window)
        let stamp = rules.stamp == .start ? start : start.addingSaturated(rules.window)
        return Point(measurement: measurement, tags: series.pointTags, fields: fields, timestamp: stamp)
    }

    static func outputOrder(_ lhs: Point, _ rhs: Point) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
        if lhs.measurement != rhs.measurement { return lhs.measurement < rhs.measurement }
        return lhs.tags.lexicographicallyPrecedes(rhs.tags) { ($0.key, $0.value) < ($1.key, $1.value) }
    }
}

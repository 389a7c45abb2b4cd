public import Foundation
import EventModel

/// The downsampler's state as one document for `CheckpointStorage`: every series' open
/// windows and watermark, and the late count, so a restart loses no window in progress.
public struct DownsamplerSnapshot: Codable, Sendable {
    public var version = 1
    /// The rules' identity: a snapshot of other rules (another window) is not restored.
    public var window: Int64
    public var mode: String
    /// The `fields:` order the window slots follow (absent in documents before it was kept).
    var fields: [String]?
    var newestEventTime: Int64?
    var lateDropped: Int
    var keys: [SeriesKey]
    /// Parallel to `keys`.
    var states: [Downsampler.SeriesState]
}

extension Downsampler {
    public var snapshot: DownsamplerSnapshot {
        DownsamplerSnapshot(
            window: rules.window, mode: rules.mode.rawValue, fields: rules.fields.map(\.name), newestEventTime: newestEventTime, lateDropped: lateDropped,
            keys: Array(series.keys), states: Array(series.values)
        )
    }

    public struct IncompatibleSnapshot: Error, CustomStringConvertible {
        public let description: String
    }

    public init(rules: DownsampleRules, restoring snapshot: DownsamplerSnapshot) throws {
        guard snapshot.version == 1, snapshot.window == rules.window, snapshot.mode == rules.mode.rawValue else {
            let window = LatencySchema.durationName(snapshot.window)
            throw IncompatibleSnapshot(
                description: "the stored window state (version \(snapshot.version), \(snapshot.mode), \(window)) is not this smokeflow's (version 1) for the file's window and mode"
            )
        }
        self.init(rules: rules)
        newestEventTime = snapshot.newestEventTime
        lateDropped = snapshot.lateDropped
        series = Dictionary(zip(snapshot.keys, snapshot.states), uniquingKeysWith: { first, _ in first })
        let names = rules.fields.map(\.name)
        // `fields:` changed since the state was stored: statistics follow their field by name.
        // An older document kept no order; slots of another count cannot be matched, so they go.
        let stored = snapshot.fields ?? (snapshot.states.allSatisfy { $0.windows.values.allSatisfy { $0.slots.isEmpty || $0.slots.count == names.count } } ? names : [])
        if stored != names {
            for key in series.keys {
                for index in series[key]!.windows.keys { series[key]!.windows[index]!.remapSlots(from: stored, to: names) }
            }
        }
        readyKeys = series.filter { !$0.value.ready.isEmpty }.map(\.key)
    }

    public func encodedSnapshot() throws -> Data { try JSONEncoder().encode(snapshot) }

    public init(rules: DownsampleRules, restoring data: Data) throws {
        try self.init(rules: rules, restoring: try JSONDecoder().decode(DownsamplerSnapshot.self, from: data))
    }
}

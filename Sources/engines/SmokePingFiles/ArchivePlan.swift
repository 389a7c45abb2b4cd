public import LibRRD
import EventModel

/// Which archive to read for which period, so each period comes from the finest archive that
/// still holds it and no period is read twice.
///
/// Archives of one resolution (AVERAGE, plus MIN/MAX where the file has them) form a tier. A
/// coarser tier is read up to the boundary where the next finer tier begins, rounded up to the
/// coarser step, so the tiers meet without a gap; the finer rows inside that last coarse
/// interval are left out.
public struct ArchivePlan: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        /// Seconds per row.
        public var resolution: Int
        /// Rows stamped in `(start, end]` (row stamps are the ends of their intervals).
        public var start: Int
        public var end: Int
        /// Consolidation functions to read: AVERAGE first, then MIN and MAX where present.
        public var consolidations: [String]
        public var isConsolidated: Bool
    }

    /// Oldest tier first, so rows come out in time order.
    public var segments: [Segment]

    /// - Parameters:
    ///   - firstRows: `rrd_first_r` for each archive index.
    ///   - since: only rows stamped at or after this.
    ///   - resumeAfter: a position (the last row already sent): only rows whose whole interval
    ///     comes after it, so a coarse row never repeats a period finer rows already covered.
    ///   - until: only rows stamped at or before this.
    public init(info: RRDInfo, firstRows: [Int: Int], since: Int? = nil, resumeAfter: Int? = nil, until: Int?) {
        var tiers: [Int: [RRDInfo.Archive]] = [:]
        for archive in info.archives { tiers[archive.stepsPerRow, default: []].append(archive) }
        let finestFirst = tiers.keys.sorted()
        var segments: [Segment] = []
        var boundary: Int?  // where the finer tier's rows begin
        for steps in finestFirst {
            let archives = tiers[steps]!
            guard let average = archives.first(where: { $0.consolidation == "AVERAGE" }), let first = firstRows[average.index] else { continue }
            let resolution = steps * info.step
            let lastComplete = info.lastUpdate / resolution * resolution
            var end = lastComplete
            if let boundary {
                // Up to where the finer tier begins, rounded up onto this tier's grid.
                end = min(end, (boundary + resolution - 1) / resolution * resolution)
                // The finer tier starts after that rounded boundary instead.
                if var finer = segments.last, end > finer.start { finer.start = end; segments[segments.count - 1] = finer }
            }
            let start = first - resolution
            if end > start {
                let functions = ["AVERAGE", "MIN", "MAX"].filter { name in archives.contains { $0.consolidation == name } }
                segments.append(Segment(resolution: resolution, start: start, end: end, consolidations: functions, isConsolidated: steps > 1))
            }
            boundary = min(boundary ?? start, start)
        }
        // Clip to the requested window and drop what became empty.
        self.segments = segments.reversed().compactMap { segment in
            var segment = segment
            let resolution = segment.resolution
            // Rounded down onto the grid, also for times before 1970.
            if let since { segment.start = max(segment.start, (since - 1).roundedDown(toMultipleOf: resolution)) }
            if let resumeAfter { segment.start = max(segment.start, (resumeAfter + resolution - 1).roundedDown(toMultipleOf: resolution)) }
            if let until { segment.end = min(segment.end, until.roundedDown(toMultipleOf: resolution)) }
            return segment.end > segment.start ? segment : nil
        }
    }
}

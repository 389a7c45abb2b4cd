import CoreMetrics
import Foundation
import Synchronization
import Telemetry

/// An rrd source's series: files read, how far its positions are behind the newest rows of
/// its tree (the laggiest file: a tail that keeps up stays under one step), the checkpoint's age.
final class RRDSourceMetrics: Sendable {
    private let filesScanned: CoreMetrics.Counter
    /// Each file's newest closed row, as last read.
    private let newestRows = Mutex<[String: Int]>([:])
    private let enabled: Bool

    init(_ metrics: ComponentMetrics, tree: String, checkpoints: CheckpointStore) {
        enabled = !metrics.registry.isDiscarding
        filesScanned = metrics.counter(.rrdFilesScanned)
        guard enabled else { return }
        let lag = metrics.gauge(.sourceLag, tree)
        let age = metrics.gauge(.checkpointAge)
        metrics.onCollect { [self] in
            lag.set(secondsBehind(checkpoints.positions))
            age.set(checkpoints.secondsSinceSave)
        }
    }

    /// The laggiest file: its newest row minus its acknowledged position.
    func secondsBehind(_ positions: [String: Int]) -> Int {
        newestRows.withLock { rows in
            rows.reduce(0) { worst, entry in max(worst, entry.value - (positions[entry.key] ?? entry.value)) }
        }
    }

    /// A file was read; its newest closed row is `newestRow`.
    func scanned(_ file: String, newestRow: Int) {
        filesScanned.increment()
        guard enabled else { return }
        newestRows.withLock { $0[file] = newestRow }
    }
}

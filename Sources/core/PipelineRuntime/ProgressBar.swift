import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one progress line of long runs (`job run`, an `rrd` backfill):
/// `label [#########.....................] 12/48 windows  details` on standard error, redrawn in
/// place when that is a terminal. Elsewhere (a log file, a pipe) each line goes to `log`, only at
/// each tenth of the total or every `interval`, so a log gets a few lines rather than one per step.
public final class ProgressBar: Sendable {
    /// When a line is written where standard error is not a terminal.
    public enum Cadence: Sendable {
        /// When `done` reaches another tenth of `total`.
        case tenths
        /// At most once per interval, whatever `done` is.
        case every(Duration)
    }

    public let total: Int
    public let label: String
    /// What is counted, plural: `windows`, `files`.
    public let unit: String
    public let isTerminal: Bool
    let cadence: Cadence
    let log: @Sendable (String) -> Void
    let started: ContinuousClock.Instant
    /// The tenth and the time of the last line written off a terminal.
    private let written: Mutex<(tenth: Int, at: ContinuousClock.Instant)>

    static let width = 30

    /// - Parameters:
    ///   - isTerminal: whether to redraw one line in place; by default, whether standard error is a terminal.
    ///   - log: where lines go when not on a terminal; by default standard error, one line each.
    public init(
        total: Int, label: String, unit: String, cadence: Cadence = .tenths, isTerminal: Bool? = nil,
        log: (@Sendable (String) -> Void)? = nil
    ) {
        self.total = total
        self.label = label
        self.unit = unit
        self.cadence = cadence
        self.isTerminal = isTerminal ?? (isatty(2) == 1)
        self.log = log ?? { writeStandardError($0 + "\n") }
        started = .now
        written = Mutex((-1, started))
    }

    /// Seconds since the bar was made.
    public var elapsedSeconds: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    public func line(_ done: Int, details: String = "") -> String {
        let filled = total == 0 ? Self.width : min(max(done, 0), total) * Self.width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: Self.width - filled)
        return "\(label) [\(bar)] \(done)/\(total) \(unit)" + (details.isEmpty ? "" : "  " + details)
    }

    /// `ETA 3m05s`: the time left if the rest goes at the pace so far.
    public func eta(_ done: Int) -> String {
        let seconds = elapsedSeconds
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        return "ETA " + Self.clock(fraction > 0 ? seconds / fraction - seconds : 0)
    }

    /// `3m05s`, or `2h7m` from an hour on.
    public static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let padded = total % 60 < 10 ? "0\(total % 60)" : "\(total % 60)"
        return total >= 3600 ? "\(total / 3600)h\(total % 3600 / 60)m" : "\(total / 60)m\(padded)s"
    }

    public func update(_ done: Int, details: String = "") {
        if isTerminal {
            writeStandardError("\r" + line(done, details: details))
            return
        }
        let now = ContinuousClock.now
        let due = written.withLock { written -> Bool in
            switch cadence {
            case .tenths:
                guard total > 0, done * 10 / total != written.tenth else { return false }
                written.tenth = done * 10 / total
            case .every(let interval):
                guard now - written.at >= interval else { return false }
                written.at = now
            }
            return true
        }
        if due { log(line(done, details: details)) }
    }

    /// Ends the line on a terminal, with the final count; elsewhere nothing (the caller logs a summary).
    public func finish(_ done: Int, details: String = "") {
        if isTerminal { writeStandardError("\r" + line(done, details: details) + "\n") }
    }
}

private func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

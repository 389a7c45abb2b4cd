import Foundation
import Components
public import EventModel
import LineProtocol
public import PipelineConfig
public import PipelineRuntime
import Synchronization

/// The `Sink` contract (`PipelineRuntime/Component.swift`), checked against a real sink: every
/// batch is acknowledged exactly once, and only after it is durable; a write that cannot
/// succeed acknowledges `failed`. A pipeline of one `compliance` source feeding the sink under
/// test; each batch carries acknowledgements of its own, whose handler notes the status, and
/// how often it was released, and asks the sink's `durable` check whether the batch's data is
/// already where the sink writes it at that very moment (the handler runs on the thread that
/// acknowledges, so the sink cannot catch up before the check is done).
///
/// Returns what broke the contract; empty means the sink complies. It never throws for a
/// violation, so it needs no test framework. Like Vector's `run_and_assert_sink_compliance`.
public enum SinkCompliance {
    /// What the sink under test must make of every batch.
    public enum Outcome: Sendable {
        /// The write can succeed: every batch `.delivered`, and durable when it is.
        case delivered
        /// The write cannot succeed: every batch `.failed`, never `.delivered`, and the run fails.
        case failed
    }

    /// Whether the points of batch `batch` are durable where the sink writes them: nil when they
    /// are, else what is missing. Runs inside the acknowledgement: synchronous and blocking
    /// (read a file, run `rrdtool`, `curl` a server), never awaiting the cooperative pool.
    public typealias DurabilityCheck = @Sendable (_ batch: Int, _ points: [Point]) -> String?

    public enum Violation: Sendable, Hashable, CustomStringConvertible {
        case neverAcknowledged(batch: Int)
        case acknowledgedTwice(batch: Int)
        case status(batch: Int, DeliveryStatus)
        /// Acknowledged delivered before its data was durable.
        case notDurable(batch: Int, String)
        /// Expected to deliver, but the run failed.
        case runFailed(String)
        /// Expected to fail, but the run succeeded.
        case runSucceeded
        /// The source could not hand over every batch (when the write can succeed) or none.
        case notAllSent(sent: Int, of: Int)

        public var description: String {
            switch self {
            case .neverAcknowledged(let batch): "batch \(batch) was never acknowledged"
            case .acknowledgedTwice(let batch): "batch \(batch) was acknowledged more than once"
            case .status(let batch, let status): "batch \(batch) was acknowledged \(status)"
            case .notDurable(let batch, let detail): "batch \(batch) was acknowledged before it was durable: \(detail)"
            case .runFailed(let failures): "the run failed: \(failures)"
            case .runSucceeded: "the run succeeded although the write cannot"
            case .notAllSent(let sent, let total): "the source handed over only \(sent) of \(total) batches"
            }
        }
    }

    /// Runs `type` with `options` (the inside of a YAML flow mapping, e.g. `path: /tmp/x.lp`)
    /// on `batches` batches of `pointsPerBatch` points each (`points(run:batch:count:)`).
    public static func check(
        type: String, options: String = "", expecting outcome: Outcome = .delivered, batches: Int = 4, pointsPerBatch: Int = 3,
        registry: ComponentRegistry = .testing, durable: DurabilityCheck? = nil
    ) async throws -> [Violation] {
        let run = String(UUID().uuidString.prefix(8)).lowercased()
        let recorder = ComplianceRecorder(
            batches: (0..<batches).map { points(run: run, batch: $0, count: pointsPerBatch) }, durable: durable, outcome: outcome)
        ComplianceRecorder.register(run, recorder)
        defer { ComplianceRecorder.unregister(run) }
        var registry = registry
        registry.register(ComplianceSourceConfiguration.self)
        let report = try await runPipeline("""
            shutdown_timeout: 10s
            sources:
              compliance: { type: compliance, run: "\(run)" }
            sinks:
              under_test: { type: \(type), inputs: [compliance]\(options.isEmpty ? "" : ", " + options) }
            """, registry: registry)
        var violations = recorder.violations()
        switch outcome {
        case .delivered:
            if !report.succeeded { violations.append(.runFailed(report.failures.map(\.description).joined(separator: "; "))) }
        case .failed:
            if report.succeeded { violations.append(.runSucceeded) }
        }
        return violations
    }

    /// The compliance run's points: `latency` rounds every sink takes (3 pings, in ms), one
    /// SmokePing file per batch (`path: Compliance/<run>-<batch>`), each point tagged with its
    /// own `point`, 300 s apart and increasing across batches.
    public static func points(run: String, batch: Int, count: Int) -> [Point] {
        (0..<count).map { index in
            let sequence = batch * count + index
            let ms = 10 + Double(sequence % 7)
            return Point(
                measurement: "latency",
                tags: [.init("batch", "\(batch)"), .init("path", "Compliance/\(run)-\(batch)"), .init("point", pointID(run, batch, index)), .init("run", run)],
                fields: [
                    .init("loss", .float(0)), .init("median", .float(ms + 1)), .init("pings", .int(3)),
                    .init("ping_1", .float(ms)), .init("ping_2", .float(ms + 1)), .init("ping_3", .float(ms + 2)),
                ],
                timestamp: Int64(SmokePingTree.start + (sequence + 1) * 300) * 1_000_000_000)
        }
    }

    static func pointID(_ run: String, _ batch: Int, _ index: Int) -> String { "\(run)-b\(batch)-p\(index)" }

    // MARK: Durability checks for the built-in sinks

    /// Line protocol in `path` (or any text with one point per line, e.g. a process's standard
    /// output): every point of the batch is on a whole line.
    public static func linesIn(_ path: String) -> DurabilityCheck {
        { _, points in
            guard let data = FileManager.default.contents(atPath: path) else { return "\(path) does not exist" }
            return missing(points, from: String(decoding: data, as: UTF8.self))
        }
    }

    /// A `fixture` sink's file: renamed into place (no `.partial` left) and holding the batch.
    public static func fixtureAt(_ path: String) -> DurabilityCheck {
        { _, points in
            guard FileManager.default.fileExists(atPath: path) else { return "\(path) is not there yet" }
            if FileManager.default.fileExists(atPath: path + ".partial") { return "\(path).partial is still there" }
            do {
                return missing(points, from: try tool("/usr/bin/zstdcat", [path]))
            } catch {
                return "\(path): \(error)"
            }
        }
    }

    /// An `rrd` sink's tree at `root`: the batch's file exists and its last update is the
    /// batch's last round (`rrdtool lastupdate`).
    public static func rrdUpdated(under root: String) -> DurabilityCheck {
        { _, points in
            guard let last = points.last, let path = last.tag("path") else { return "no points" }
            let file = root + "/" + path + ".rrd"
            guard FileManager.default.fileExists(atPath: file) else { return "\(file) does not exist" }
            do {
                let output = try tool("/usr/bin/rrdtool", ["lastupdate", file])
                let stamp = output.split(separator: "\n").last.flatMap { $0.split(separator: ":").first }.map(String.init)
                let expected = "\(last.timestamp / 1_000_000_000)"
                return stamp == expected ? nil : "\(file): last update \(stamp ?? "none"), expected \(expected)"
            } catch {
                return "\(error)"
            }
        }
    }

    /// The batch's points not on a line of `text` that parses as line protocol.
    static func missing(_ points: [Point], from text: String) -> String? {
        var seen: Set<String> = []
        for line in text.split(separator: "\n") where line.hasPrefix("latency,") {
            guard let parsed = try? LineProtocolParser.parse(String(line)) else { continue }
            for point in parsed { if let id = point.tag("point") { seen.insert(id) } }
        }
        let absent = points.compactMap(\.pointTag).filter { !seen.contains($0) }
        return absent.isEmpty ? nil : "\(absent.count) of \(points.count) points not written (\(absent[0]) …)"
    }

    /// Runs a tool to the end, blocking (durability checks run inside acknowledgement
    /// handlers, which cannot await); its standard output (throws when it fails).
    public static func tool(_ executable: String, _ arguments: [String]) throws -> String {
        let result = try runProgramBlocking(executable, arguments)
        guard result.status == 0 else {
            throw ComplianceToolFailed(description: "\(executable) \(arguments.joined(separator: " ")) exited \(result.status)")
        }
        return result.output
    }
}

struct ComplianceToolFailed: Error, CustomStringConvertible {
    let description: String
}

extension Point {
    fileprivate var pointTag: String? { tag("point") }
}

/// What one compliance run's acknowledgements saw.
final class ComplianceRecorder: Sendable {
    struct Entry {
        var sent = false
        var status: DeliveryStatus?
        var twice = false
        var notDurable: String?
    }

    private static let runs = Mutex<[String: ComplianceRecorder]>([:])
    static func register(_ run: String, _ recorder: ComplianceRecorder) { runs.withLock { $0[run] = recorder } }
    static func unregister(_ run: String) { _ = runs.withLock { $0.removeValue(forKey: run) } }
    static func named(_ run: String) -> ComplianceRecorder? { runs.withLock { $0[run] } }

    let batches: [[Point]]
    let durable: SinkCompliance.DurabilityCheck?
    let outcome: SinkCompliance.Outcome
    private let entries: Mutex<[Entry]>

    init(batches: [[Point]], durable: SinkCompliance.DurabilityCheck?, outcome: SinkCompliance.Outcome) {
        self.batches = batches
        self.durable = durable
        self.outcome = outcome
        entries = Mutex(Array(repeating: Entry(), count: batches.count))
    }

    func sent(_ batch: Int) { entries.withLock { $0[batch].sent = true } }

    /// The first release of the batch: its status, and whether it was durable by then.
    func acknowledged(_ batch: Int, _ status: DeliveryStatus) {
        let problem = status == .delivered ? durable?(batch, batches[batch]) : nil
        entries.withLock {
            $0[batch].status = status
            $0[batch].notDurable = problem
        }
    }

    func acknowledgedAgain(_ batch: Int) { entries.withLock { $0[batch].twice = true } }

    func violations() -> [SinkCompliance.Violation] {
        let entries = entries.withLock { $0 }
        var violations: [SinkCompliance.Violation] = []
        let sent = entries.filter(\.sent).count
        if outcome == .delivered ? sent < entries.count : sent == 0 { violations.append(.notAllSent(sent: sent, of: entries.count)) }
        let expected: DeliveryStatus = outcome == .delivered ? .delivered : .failed
        for (batch, entry) in entries.enumerated() where entry.sent {
            guard let status = entry.status else {
                violations.append(.neverAcknowledged(batch: batch))
                continue
            }
            if status != expected { violations.append(.status(batch: batch, status)) }
            if entry.twice { violations.append(.acknowledgedTwice(batch: batch)) }
            if let problem = entry.notDurable { violations.append(.notDurable(batch: batch, problem)) }
        }
        return violations
    }
}

/// `type: compliance` — the batches of a `SinkCompliance` run. Each carries two
/// acknowledgements: the first fires at the batch's first release (status, durability), the
/// second only at a second release (acknowledged twice). Each takes a large extra hold when it
/// fires, so further releases count instead of tripping `Acknowledgement`'s precondition (a
/// second release racing the first on another thread still can).
public struct ComplianceSourceConfiguration: SourceConfiguration {
    public static let typeName = "compliance"
    public var run: String

    public init(options: inout OptionsReader) { run = options.requiredString("run") }

    public func build(_ context: BuildContext) throws -> ComplianceSource { ComplianceSource(run: run) }
}

public struct ComplianceSource: Source {
    let run: String

    public func run(context: StageContext, output: StageOutput) async throws {
        guard let recorder = ComplianceRecorder.named(run) else { throw ComplianceToolFailed(description: "no compliance run '\(run)'") }
        for (index, points) in recorder.batches.enumerated() {
            let first = Hold()
            first.set(Acknowledgement { status in
                recorder.acknowledged(index, status)
                first.keep()
            })
            let second = Hold()
            second.set(Acknowledgement { _ in
                recorder.acknowledgedAgain(index)
                second.keep()
            })
            second.acknowledgement?.retain()
            recorder.sent(index)
            try await output.send(Batch(points: points, acknowledgements: [first.acknowledgement, second.acknowledgement].compactMap { $0 }))
        }
    }

    /// An acknowledgement its own handler can reach, to take the extra hold when it fires.
    final class Hold: Sendable {
        private let state = Mutex<Acknowledgement?>(nil)
        var acknowledgement: Acknowledgement? { state.withLock { $0 } }
        func set(_ acknowledgement: Acknowledgement) { state.withLock { $0 = acknowledgement } }
        /// Later releases count down this hold instead of tripping the precondition; lets go of
        /// the acknowledgement (its handler held this box).
        func keep() {
            let acknowledgement = state.withLock { held in
                defer { held = nil }
                return held
            }
            acknowledgement?.retain(1_000_000)
        }
    }
}

import Foundation
import EventModel
import LineProtocol
import PipelineRuntime
import SmokeflowTesting
import Testing

/// The `file` sink keeps what it wrote and acknowledged: across restarts (review C4), a write
/// that fails part way (C10) and a torn last line left by a crash.
@Suite(.timeLimit(.minutes(2)))
struct FileSinkTests {
    static func points(_ range: Range<Int>) -> [Point] {
        range.map { Point(measurement: "m", fields: [.init("n", .int(Int64($0)))], timestamp: Int64($0)) }
    }

    static func write(_ range: Range<Int>, to path: String, options: String = "", batchSize: Int = 100) async throws -> RunReport {
        let key = TestData.register(points(range))
        return try await runPipeline("""
            sources:
              src: { type: memory, key: \(key), batch_size: \(batchSize) }
            sinks:
              out: { type: file, inputs: [src], path: \(path)\(options) }
            """)
    }

    static func numbers(in path: String) throws -> [Int64] {
        try LineProtocolParser.parse(try String(contentsOfFile: path, encoding: .utf8)).compactMap {
            if case .int(let n) = $0.field("n") { return n }
            return nil
        }
    }

    @Test func aRestartAppendsInsteadOfErasingWhatWasAcknowledged() async throws {
        let path = temporaryDirectory() + "/out.lp"
        #expect(try await Self.write(0..<100, to: path).succeeded)
        #expect(try await Self.write(100..<200, to: path).succeeded)
        #expect(try Self.numbers(in: path) == Array(0..<200))
    }

    @Test func appendFalseStillStartsAfresh() async throws {
        let path = temporaryDirectory() + "/out.lp"
        #expect(try await Self.write(0..<100, to: path).succeeded)
        #expect(try await Self.write(100..<200, to: path, options: ", append: false").succeeded)
        #expect(try Self.numbers(in: path) == Array(100..<200))
    }

    @Test func aTornLastLineIsRemovedBeforeAppending() async throws {
        let path = temporaryDirectory() + "/out.lp"
        try Data("m n=1i 1\nm n=2i 2\nm n=3".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try await Self.write(10..<20, to: path).succeeded)
        #expect(try Self.numbers(in: path) == [1, 2] + Array(10..<20))
    }

    /// The file grows past a size limit in the middle of a batch's write (as on a full disk):
    /// in a process of its own, since the limit is process-wide.
    @Test func aWriteThatFailsPartWayLeavesOnlyWholeLines() async throws {
        let problems = try await TestSubprocess.run("file-size-limit", filter: "FileSinkTests/sizeLimitChild")
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test(.enabled(if: TestSubprocess.isChild("file-size-limit")))
    func sizeLimitChild() async throws {
        var problems: [String] = []
        let path = temporaryDirectory() + "/out.lp"
        signal(SIGXFSZ, SIG_IGN)
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
        let unlimited = limit
        limit.rlim_cur = 10_000
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
        // Batches of 100 short lines (about 1.5 KB each): one of them crosses the limit part way.
        let failed = try await Self.write(0..<20_100, to: path, batchSize: 100)
        var restored = unlimited
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &restored)
        if failed.succeeded { problems.append("the run succeeded past the file size limit") }
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if !text.isEmpty && !text.hasSuffix("\n") { problems.append("the file ends in half a line: …\(text.suffix(20))") }
        // Appending afterwards gives a file of whole, parsable lines.
        if !(try await Self.write(50_000..<50_010, to: path).succeeded) { problems.append("the run after the limit failed") }
        do {
            let numbers = try Self.numbers(in: path)
            if numbers.suffix(10) != Array(50_000..<50_010) { problems.append("the appended lines are not at the end") }
        } catch {
            problems.append("the file does not parse: \(error)")
        }
        try TestSubprocess.report(problems)
    }
}

@testable import Components
import EventModel
import Foundation
import LineProtocol
import NIOCore
@testable import PipelineRuntime
import SmokeflowTesting
import Synchronization
import Testing
import Zstd
#if canImport(Glibc)
import Glibc
#endif

/// Review M1: CPU-heavy work must not run on the thread that runs the stage's task (a
/// cooperative thread in a real run; 2 of them on a 2-core machine). The stage runs here on an
/// executor with one thread of the test's own, and what that thread spent in CPU time (not wall
/// time: load does not change it) is compared with what the work itself costs. Checked for the
/// fixture sink's zstd at level 19, the costliest of M1's calls; the downsample document's JSON
/// and the targets file's stat go through the same NIOThreadPool call and are not tested here.
@Suite(.timeLimit(.minutes(2)))
struct BlockingWorkOffThePoolTests {
    /// A task executor on one thread of its own, whose CPU time can be read.
    final class OwnThreadExecutor: TaskExecutor, @unchecked Sendable {
        private let condition = NSCondition()
        private var jobs: [UnownedJob] = []
        private var cpuClock = clockid_t()
        private var started = false
        private var stopped = false

        init() {
            let thread = Thread { [self] in self.loop() }
            thread.start()
            condition.lock()
            while !started { condition.wait() }
            condition.unlock()
        }

        private func loop() {
            condition.lock()
            pthread_getcpuclockid(pthread_self(), &cpuClock)
            started = true
            condition.broadcast()
            condition.unlock()
            while true {
                condition.lock()
                while jobs.isEmpty && !stopped { condition.wait() }
                if jobs.isEmpty {
                    condition.unlock()
                    return
                }
                let job = jobs.removeFirst()
                condition.unlock()
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }

        /// Ends the thread once it has run what it was given.
        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            condition.lock()
            jobs.append(job)
            condition.signal()
            condition.unlock()
        }

        /// CPU time the thread has used, in nanoseconds.
        var cpuTime: Int64 { BlockingWorkOffThePoolTests.read(cpuClock) }
    }

    static func read(_ clock: clockid_t) -> Int64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Points whose values vary, so level 19 has work to do.
    static func points(_ count: Int) -> [Point] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { index in
            let fields = (1...20).map { Point.Field("ping\($0)", .float(Double.random(in: 0.001...0.2, using: &generator))) }
            return Point(measurement: "latency", tags: [.init("target", "t\(index % 50)")], fields: fields, timestamp: Int64(index) * 1_000_000_000)
        }
    }

    @Test func theFixtureSinksCompressionRunsOffTheStagesThread() async throws {
        let points = Self.points(3000)
        // What compressing it costs, measured on a thread of its own.
        var encoder = LineProtocolEncoder()
        var lines = ByteBuffer()
        for point in points { try encoder.encode(point, into: &lines) }
        let encoded = lines
        let cost = try await onOwnThread { () throws -> Int64 in
            let clock = CLOCK_THREAD_CPUTIME_ID
            let before = Self.read(clock)
            let compressor = try ZstdCompressor(level: 19)
            try encoded.withUnsafeReadableBytes { raw in try compressor.compress(raw, end: true) { _ in } }
            return Self.read(clock) - before
        }

        let path = temporaryDirectory() + "/out.lp.zst"
        let sink = FixtureSink(configuration: FixtureSinkConfiguration(path: path, level: 19))
        let channel = BoundedChannel(capacity: 1, producers: 1)
        try await channel.send(Batch(points: points))
        channel.producerFinished()
        let executor = OwnThreadExecutor()
        defer { executor.stop() }
        let spent = try await withTaskExecutorPreference(executor) {
            let before = executor.cpuTime
            try await sink.run(context: StageContext(id: "out", logger: LogCapture().logger, counters: StageCounters(), once: true), input: StageInput(channel))
            return executor.cpuTime - before
        }
        #expect(FileManager.default.fileExists(atPath: path))
        // Encoding the line protocol stays on the stage's thread; it costs a small part of level 19.
        #expect(spent < cost / 2, "the stage's thread spent \(spent / 1_000_000) ms of CPU; compressing alone costs \(cost / 1_000_000) ms")
    }
}

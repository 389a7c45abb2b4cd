import Foundation
import Nats
import SmokeflowTesting
import Testing

/// `work_queue:` on the rrd source (pipelines/scale-out/backfill-worker.yaml): three
/// `smokeflow run` workers share a tree's files through a JetStream work queue; one is killed
/// with SIGKILL while it holds items. The two left finish, and what the three wrote is, point
/// for point, what one process backfilling the tree alone writes.
@Suite(.timeLimit(.minutes(4)), .enabled(if: NatsServer.available))
struct ShardedBackfillTests {
    static let files = 24

    func tree() async throws -> SmokePingTree {
        let tree = SmokePingTree()
        for index in 0..<Self.files {
            let path = try await tree.create("Site\(index % 3)/host-\(index).rrd", pings: 5)
            try await tree.update(path, rounds: 0..<(200 + index * 7), pings: 5, seed: index)
        }
        return tree
    }

    /// The rrd source over `tree` into a file sink; `queue`: the work_queue mapping.
    func pipeline(_ tree: SmokePingTree, output: String, queue: String?, flush: String = "300ms") -> String {
        """
        sources:
          history:
            type: rrd
            mode: backfill
            path: \(tree.root)
            concurrency: 2
            batch_size: 50
        \(queue.map { "    work_queue: \($0)" } ?? "")
        sinks:
          out: { type: file, inputs: [history], path: \(output), flush_interval: \(flush) }
        """
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func threeWorkersOneKilledWriteWhatOneProcessWrites() async throws {
        let tree = try await tree()
        let directory = temporaryDirectory()
        // One process alone.
        try pipeline(tree, output: directory + "/alone.lp", queue: nil).write(toFile: directory + "/alone.yaml", atomically: true, encoding: .utf8)
        let alone = TopologyProcess(
            name: "alone", directory: directory, command: [smokeflowExecutable, "run", directory + "/alone.yaml"],
            environment: ["STATE_DIRECTORY": directory + "/alone-state"])
        try alone.start()
        let aloneExited = await eventually(within: .seconds(60), every: .milliseconds(100)) { !alone.isRunning }
        try #require(aloneExited, "the lone backfill ends: \(alone.log)")
        let expected = Set(Self.lines(directory + "/alone.lp"))
        try #require(expected.count > 1000, "enough points to share: \(expected.count)")

        let server = NatsServer()
        try await server.start()
        defer { Task { await server.stop() } }
        let queue = "{ url: \"\(server.url)\", stream: BACKFILL, durable: workers, run: test, ack_wait: 3s }"
        var workers: [TopologyProcess] = []
        for index in 0..<3 {
            let file = directory + "/worker-\(index).yaml"
            // Worker 0 fsyncs (and so acknowledges) only every 5 s: when it dies, every item it
            // took is still unacknowledged.
            try pipeline(tree, output: directory + "/worker-\(index).lp", queue: queue, flush: index == 0 ? "5s" : "300ms")
                .write(toFile: file, atomically: true, encoding: .utf8)
            workers.append(TopologyProcess(
                name: "worker-\(index)", directory: directory, command: [smokeflowExecutable, "run", file],
                environment: ["STATE_DIRECTORY": directory + "/worker-\(index)-state"]))
        }
        // Worker 0 first, alone: it takes items and writes; then the others start, and it dies.
        try workers[0].start()
        let started = await eventually(within: .seconds(60), every: .milliseconds(20)) { !Self.lines(directory + "/worker-0.lp").isEmpty }
        try #require(started, "worker 0 writes: \(workers[0].log)")
        try workers[1].start()
        try workers[2].start()
        try await Task.sleep(for: .milliseconds(Int.random(in: 100...1000)))
        await workers[0].kill9()
        let killedWrote = Set(Self.lines(directory + "/worker-0.lp"))

        let finished = await eventually(within: .seconds(120), every: .milliseconds(200)) { !workers[1].isRunning && !workers[2].isRunning }
        try #require(finished, "the two left finish: \(workers[1].log.suffix(2000)) \(workers[2].log.suffix(2000))")
        let statuses = [await workers[1].stop(), await workers[2].stop()]
        #expect(statuses == [0, 0], "exit statuses")
        let shared = (0..<3).map { Set(Self.lines(directory + "/worker-\($0).lp")) }
        let union = shared.reduce(into: Set<String>()) { $0.formUnion($1) }
        let redone = killedWrote.intersection(shared[1].union(shared[2])).count
        print("sharded backfill: \(expected.count) points alone; workers wrote \(shared.map(\.count)) (worker 0 killed after \(killedWrote.count); \(redone) of those written again by the others)")
        #expect(union == expected, "missing \(expected.subtracting(union).count), not in the lone run \(union.subtracting(expected).count)")
        #expect(redone > 0, "the files of worker 0's unacknowledged items were read again by the others")
        for worker in workers[1...] {
            #expect(worker.log.contains("no item left"), "\(worker.name) says it is done: \(worker.log.suffix(1500))")
        }
        // Every file exactly once in the queue: nothing left, taken or not.
        let connection = try await NatsConnection.connect(urls: [server.url], name: "test")
        #expect(try await connection.streamState("BACKFILL").messages == 0)
        await connection.close()
    }
}

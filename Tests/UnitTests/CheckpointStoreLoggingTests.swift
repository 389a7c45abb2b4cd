import Components
import PipelineRuntime
import SmokeflowTesting
import Testing

/// What an operator sees while checkpoint saves fail (uses `FlakyStorage` of CheckpointStoreTests).
@Suite(.timeLimit(.minutes(2))) struct CheckpointStoreLoggingTests {
    /// An outage is one warning naming the document and the error, retried with a backoff
    /// (not a busy loop), and one info line when saving works again.
    @Test func aFailingSaveIsLoggedOncePerOutageAndRetriedWithBackoff() async throws {
        let storage = FlakyStorage()
        let log = LogCapture()
        let store = CheckpointStore(storage: storage, name: "rrd-x", logger: log.logger)
        store.commit("a.rrd", 1)
        try #require(await eventually(within: .seconds(60)) { storage.attempts.load(ordering: .relaxed) >= 3 })
        store.commit("a.rrd", 2)
        store.commit("a.rrd", 3)
        try await Task.sleep(for: .milliseconds(300))
        // A busy loop would have made thousands of attempts by now; a backoff a handful.
        #expect(storage.attempts.load(ordering: .relaxed) < 50)
        let warnings = log.messages(.warning)
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("rrd-x") == true && warnings.first?.contains("disk full") == true, "\(warnings)")
        storage.failing.withLock { $0 = false }
        #expect(await store.flush(within: .seconds(60)))
        #expect(storage.saved.withLock { $0["rrd-x"] }.map { String(decoding: $0, as: UTF8.self).contains("3") } == true)
        #expect(log.messages(.info).contains { $0.contains("rrd-x") && $0.contains("again") }, "\(log.messages(.info))")
        #expect(log.messages(.warning).count == 1)
    }

    @Test func flushThatGivesUpSaysWhatARestartResends() async throws {
        let log = LogCapture()
        let store = CheckpointStore(storage: FlakyStorage(), name: "rrd-x", logger: log.logger)
        store.commit("a.rrd", 1)
        #expect(await store.flush(within: .milliseconds(200)) == false)
        #expect(log.messages(.warning).contains { $0.contains("rrd-x") && $0.contains("sent again") }, "\(log.messages(.warning))")
    }
}

import SmokePingFiles
import Foundation
@testable import LibRRD
import Components
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

@Suite(.timeLimit(.minutes(2)))
struct RRDSourceTests {
    func backfill(_ tree: SmokePingTree, state: String, extra: String = "") async throws -> (RunReport, [Point]) {
        let (key, probe) = Observer.make()
        let report = try await runPipeline("""
            state_dir: \(state)
            sources:
              smokeping:
                type: rrd
                mode: backfill
                path: \(tree.root)
                probe_types: { "DNS/**": dns }
                \(extra)
            sinks:
              collect: { type: collect, inputs: [smokeping], probe: \(key) }
            """)
        return (report, probe.received.withLock { $0 })
    }

    @Test func planReadsEachPeriodFromTheFinestArchiveOnce() throws {
        let info = RRDInfo(
            step: 300, lastUpdate: 1_000_000 + 53, dataSources: [],
            archives: [
                .init(index: 0, consolidation: "AVERAGE", rows: 100, stepsPerRow: 1, xff: 0.5),
                .init(index: 1, consolidation: "AVERAGE", rows: 50, stepsPerRow: 12, xff: 0.5),
                .init(index: 2, consolidation: "MAX", rows: 50, stepsPerRow: 12, xff: 0.5),
            ])
        // Row stamps of the oldest row in each archive, as rrd_first_r gives them.
        let firsts = [0: 999_900 - 99 * 300, 1: 997_200 - 49 * 3600, 2: 997_200 - 49 * 3600]
        let plan = ArchivePlan(info: info, firstRows: firsts, until: nil)
        try #require(plan.segments.count == 2)
        let coarse = plan.segments[0]
        let fine = plan.segments[1]
        #expect(coarse.resolution == 3600 && coarse.consolidations == ["AVERAGE", "MAX"] && coarse.isConsolidated)
        // They meet on the coarse grid: no gap, no overlap.
        #expect(coarse.end == fine.start)
        #expect(coarse.end % 3600 == 0)
        #expect(fine.end == 999_900)
        #expect(fine.start >= 999_900 - 100 * 300)

        // Resuming after a 5-minute row: the coarse rows start after it, never overlapping it.
        let resumed = try #require(ArchivePlan(info: info, firstRows: firsts, resumeAfter: 900_300, until: nil).segments.first)
        #expect(resumed.start == 900_000 + 3600 && resumed.start >= 900_300)
        // `since` keeps the row whose stamp is at or after it.
        let since = try #require(ArchivePlan(info: info, firstRows: firsts, since: 900_300, until: nil).segments.first)
        #expect(since.start == 900_000)
    }

    @Test func backfillMatchesRrdtoolWithoutOverlapOrGap() async throws {
        let tree = SmokePingTree()
        let core = try await tree.create("Core/router-1.rrd")
        try await tree.update(core, rounds: 0..<900, seed: 1)
        let dns = try await tree.create("DNS/resolver-a.rrd", pings: 5)
        try await tree.update(dns, rounds: 0..<900, pings: 5, seed: 2)
        let (report, points) = try await backfill(tree, state: temporaryDirectory())
        #expect(report.succeeded, "\(report.failures)")
        #expect(Set(points.map(\.measurement)) == ["latency", "latency_1h", "latency_12h", "dns_latency", "dns_latency_1h", "dns_latency_12h"])

        for (path, relative, base, pings) in [(core, "Core/router-1", "latency", 20), (dns, "DNS/resolver-a", "dns_latency", 5)] {
            let mine = points.filter { $0.tag("path") == relative }
            #expect(mine.allSatisfy { $0.tag("target") == relative.split(separator: "/").last.map(String.init) })
            #expect(mine.allSatisfy { $0.tag("category") == relative.split(separator: "/").first.map(String.init) })
            #expect(mine.allSatisfy { $0.field("pings") == .int(Int64(pings)) })
            var intervals: [(Int, Int)] = []
            for (measurement, resolution, archives) in [(base, 300, [("", 0)]), (base + "_1h", 3600, [("", 1), ("_min", 2), ("_max", 3)]), (base + "_12h", 43200, [("", 4), ("_max", 5), ("_min", 6)])] {
                let tier = mine.filter { $0.measurement == measurement }
                #expect(!tier.isEmpty, "\(measurement)")
                for (suffix, archive) in archives {
                    let function = suffix == "" ? "AVERAGE" : suffix == "_min" ? "MIN" : "MAX"
                    let (names, rows) = try await SmokePingTree.fetch(path, function, resolution: resolution, archive: archive)
                    for point in tier {
                        let time = Int(point.timestamp / 1_000_000_000)
                        let values = try #require(rows[time], "\(measurement) row \(time) is in rrdtool's archive")
                        for (column, name) in names.enumerated() where name != "uptime" {
                            let field = name == "loss" ? "lost" : name.hasPrefix("ping") ? "ping_" + name.dropFirst(4) : name
                            let scale = name == "loss" ? 1.0 : 1000.0
                            let expected = values[column] * scale
                            if case .float(let got) = point.field(field + suffix) {
                                #expect(abs(got - expected) <= 1e-9 * abs(expected), "\(measurement) \(time) \(field + suffix)")
                            } else {
                                #expect(expected.isNaN, "\(measurement) \(time) \(field + suffix) is missing")
                            }
                        }
                        if suffix == "" { intervals.append((time - resolution, time)) }
                    }
                }
            }
            // Every emitted interval is disjoint from the others and together they leave no gap.
            intervals.sort { $0.0 < $1.0 }
            for (earlier, later) in zip(intervals, intervals.dropFirst()) {
                #expect(earlier.1 <= later.0, "intervals overlap: \(earlier) and \(later)")
            }
            let spans = intervals.reduce(0) { $0 + $1.1 - $1.0 }
            let gaps = zip(intervals, intervals.dropFirst()).filter { $0.1 < $1.0 }
            #expect(gaps.allSatisfy { $0.1.0 - $0.0.1 <= 43200 }, "only rows without data may be missing")
            #expect(spans > 0)
            // DNS rows also carry the resolution time, equal to the median.
            if base == "dns_latency" {
                #expect(mine.filter { $0.measurement == base }.allSatisfy { $0.field("resolution_time") == $0.field("median") })
            }
        }
        // Loss is a percentage of the pings, lost the (possibly blended) count.
        let raw = points.filter { $0.measurement == "latency" }
        #expect(raw.contains { if case .float(let loss) = $0.field("loss"), case .float(let lost) = $0.field("lost") { loss == lost / 20 * 100 && lost > 0 } else { false } })
    }

    @Test func aSecondRunResumesFromTheAcknowledgedPositions() async throws {
        let tree = SmokePingTree()
        let path = try await tree.create("Edge/router-2.rrd")
        try await tree.update(path, rounds: 0..<300)
        let state = temporaryDirectory()
        let (first, points) = try await backfill(tree, state: state)
        #expect(first.succeeded && points.count > 100)
        let (second, again) = try await backfill(tree, state: state)
        #expect(second.succeeded)
        #expect(again.isEmpty, "nothing acknowledged is sent twice")
        try await tree.update(path, rounds: 300..<320)
        let (third, more) = try await backfill(tree, state: state)
        #expect(third.succeeded)
        #expect(more.count == 19 || more.count == 20, "the new rounds (the last interval is still open): \(more.count)")
        #expect(Set(more.map(\.timestamp)).isDisjoint(with: Set(points.map(\.timestamp))))
    }

    @Test func badFilesAreNamedAndTheOthersGoOn() async throws {
        let tree = SmokePingTree()
        let good = try await tree.create("Core/good.rrd")
        try await tree.update(good, rounds: 0..<50)
        let truncated = try await tree.create("Core/truncated.rrd")
        try await tree.update(truncated, rounds: 0..<50)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: truncated))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        try await SmokePingTree.rrdtool(["create", tree.root + "/Core/other.rrd", "--step", "60", "DS:in:COUNTER:120:0:U", "RRA:AVERAGE:0.5:1:10"])
        try Data("not an rrd".utf8).write(to: URL(fileURLWithPath: tree.root + "/Core/text.rrd"))
        let (report, points) = try await backfill(tree, state: temporaryDirectory())
        #expect(!report.succeeded)
        let message = report.failures.map(\.description).joined()
        #expect(message.hasPrefix("source 'smokeping': 3 file(s) failed: "), "\(message)")
        #expect(message.contains("Core/truncated.rrd: ") && message.contains("Core/text.rrd: "))
        #expect(message.contains("Core/other.rrd: not SmokePing's layout"))
        #expect(!points.isEmpty && points.allSatisfy { $0.tag("target") == "good" })
    }

    /// A tail of `tree` every 100 ms into `sink` (its YAML after the type).
    func tailPipeline(_ tree: SmokePingTree, state: String, sink: String) -> String {
        """
        state_dir: \(state)
        sources:
          live: { type: rrd, mode: tail, path: \(tree.root), poll_interval: 100ms }
        sinks:
          out: { type: \(sink) }
        """
    }

    @Test func tailEmitsNewRowsOnceAndNeverTheOpenInterval() async throws {
        let tree = SmokePingTree()
        let path = try await tree.create("Core/live.rrd")
        try await tree.update(path, rounds: 0..<20)
        let state = temporaryDirectory()
        let (key, probe) = Observer.make()
        let yaml = tailPipeline(tree, state: state, sink: "collect, inputs: [live], probe: \(key)")
        let run = Task { try await runPipeline(yaml) { $0.once = false } }
        func stamps() -> [Int64] { probe.received.withLock { $0.map(\.timestamp) } }
        func waitFor(_ count: Int) async throws {
            _ = await eventually(within: .seconds(60), every: .milliseconds(50)) { stamps().count >= count }
        }
        // 20 rounds: rows up to the one ending before the last update; the last is still open.
        try await waitFor(19)
        #expect(stamps().count == 19)
        let lastClosed = Int64(SmokePingTree.start + 19 * 300) * 1_000_000_000
        #expect(stamps().max() == lastClosed)
        try await tree.update(path, rounds: 20..<25)
        try await waitFor(24)
        // A few more polls (100 ms apart) may not send anything again.
        try await Task.sleep(for: .milliseconds(300))
        #expect(stamps().count == 24)
        #expect(Set(stamps()).count == 24, "each row exactly once")
        run.cancel()
        _ = try? await run.value

        // A restart resumes after the acknowledged rows.
        try await tree.update(path, rounds: 25..<27)
        let (onceKey, once) = Observer.make()
        let report = try await runPipeline(yaml.replacingOccurrences(of: key, with: onceKey))
        #expect(report.succeeded)
        #expect(once.received.withLock { $0.map(\.timestamp) } == [25, 26].map { Int64(SmokePingTree.start + $0 * 300) * 1_000_000_000 })
    }

    @Test func tailCatchesUpALongOutageFromTheConsolidatedArchives() async throws {
        let tree = SmokePingTree()
        let path = try await tree.create("Core/away.rrd")
        try await tree.update(path, rounds: 0..<20)
        let state = temporaryDirectory()
        func poll() async throws -> [Point] {
            let (key, probe) = Observer.make()
            let report = try await runPipeline("""
                state_dir: \(state)
                sources:
                  live: { type: rrd, mode: tail, path: \(tree.root) }
                sinks:
                  collect: { type: collect, inputs: [live], probe: \(key) }
                """)
            #expect(report.succeeded)
            return probe.received.withLock { $0 }
        }
        let before = try await poll()
        #expect(before.count == 19)
        // Away for 400 rounds (33 h): the 1-step archive holds only the last 100 of them.
        try await tree.update(path, rounds: 20..<420)
        let after = try await poll()
        let hourly = after.filter { $0.measurement == "latency_1h" }.map { Int($0.timestamp / 1_000_000_000) }
        let raw = after.filter { $0.measurement == "latency" }.map { Int($0.timestamp / 1_000_000_000) }
        #expect(!hourly.isEmpty && !raw.isEmpty)
        let lastBefore = Int(try #require(before.map(\.timestamp).max()) / 1_000_000_000)
        let firstHourly = try #require(hourly.min()), lastHourly = try #require(hourly.max()), firstRaw = try #require(raw.min())
        // The gap is covered from where the first poll stopped, hourly then 5-minute, without overlap.
        #expect(firstHourly - 3600 < lastBefore + 3600)
        #expect(firstHourly - 3600 >= lastBefore, "no period sent twice")
        #expect(lastHourly <= firstRaw - 300)
        #expect(raw.max() == SmokePingTree.start + 419 * 300)
    }

    @Test func tailFromTheEndSkipsHistoryAndSendsTheNextClosedRow() async throws {
        let tree = SmokePingTree()
        let path = try await tree.create("Core/new.rrd")
        try await tree.update(path, rounds: 0..<50)
        let (key, probe) = Observer.make()
        let state = temporaryDirectory()
        let yaml = """
            state_dir: \(state)
            sources:
              live: { type: rrd, mode: tail, path: \(tree.root), poll_interval: 100ms, start_from: end }
            sinks:
              collect: { type: collect, inputs: [live], probe: \(key) }
            """
        let run = Task { try await runPipeline(yaml) { $0.once = false } }
        // The starting position is stored once the first poll has seen the file.
        let checkpoint = state + "/rrd-live.json"
        _ = await eventually(within: .seconds(60), every: .milliseconds(25)) {
            FileManager.default.contents(atPath: checkpoint).map { String(decoding: $0, as: UTF8.self).contains("new.rrd") } ?? false
        }
        #expect(String(decoding: FileManager.default.contents(atPath: checkpoint) ?? Data(), as: UTF8.self).contains("\(SmokePingTree.start + 49 * 300)"))
        #expect(probe.received.withLock { $0.isEmpty }, "history is skipped")
        try await tree.update(path, rounds: 50..<52)
        _ = await eventually(within: .seconds(60), every: .milliseconds(50)) { probe.received.withLock { $0.count } >= 2 }
        run.cancel()
        _ = try? await run.value
        // Rows 50 and 51 closed (stamped at steps 50 and 51); the row of round 51 is still open.
        #expect(probe.received.withLock { $0.map(\.timestamp) } == [50, 51].map { Int64(SmokePingTree.start + $0 * 300) * 1_000_000_000 })
    }

    /// Review C1: a later poll's acknowledgement must not commit past an earlier poll's batch
    /// that is still unacknowledged (a request still retrying when the process stops).
    @Test func aLaterPollNeverCommitsPastAnEarlierUnacknowledgedOne() async throws {
        let tree = SmokePingTree()
        let path = try await tree.create("Core/live.rrd")
        try await tree.update(path, rounds: 0..<10)
        let state = temporaryDirectory()
        let (key, probe) = Observer.make()
        let yaml = tailPipeline(tree, state: state, sink: "hold, inputs: [live], probe: \(key), hold: 1")
        let run = Task { try await runPipeline(yaml) { $0.once = false } }
        try #require(await eventually(within: .seconds(60)) { probe.consumed.load(ordering: .relaxed) >= 9 })
        try await tree.update(path, rounds: 10..<15)
        // Poll 2's rows are delivered while poll 1's batch is still held.
        try #require(await eventually(within: .seconds(60)) { probe.consumed.load(ordering: .relaxed) >= 14 })
        run.cancel()
        _ = try? await run.value
        let firstPoll = probe.held.withLock { $0.first?.points.map(\.timestamp) ?? [] }
        try #require(firstPoll.count == 9)
        probe.held.withLock { $0.forEach { $0.acknowledge(.failed) } }

        // The restart reads poll 1's rows again (poll 2's too: at least once, never lost).
        let (againKey, again) = Observer.make()
        let report = try await runPipeline(yaml.replacingOccurrences(of: "type: hold", with: "type: collect").replacingOccurrences(of: ", hold: 1", with: "").replacingOccurrences(of: key, with: againKey))
        #expect(report.succeeded)
        let resent = Set(again.received.withLock { $0.map(\.timestamp) })
        #expect(Set(firstPoll).isSubset(of: resent), "rows of the unacknowledged poll were skipped: \(resent.sorted())")
    }

    /// A batch that failed (a sink gave up on it) blocks its file's commits; the tail then reads
    /// the file again from the last committed row instead of sending only newer rows that can
    /// never commit.
    @Test func aFailedBatchIsReadAgainFromTheLastCommittedRow() async throws {
        let tree = SmokePingTree()
        let path = try await tree.create("Core/live.rrd")
        try await tree.update(path, rounds: 0..<10)
        let (key, probe) = Observer.make()
        let yaml = tailPipeline(tree, state: temporaryDirectory(), sink: "hold, inputs: [live], probe: \(key), hold: 1")
        let run = Task { try await runPipeline(yaml) { $0.once = false } }
        try #require(await eventually(within: .seconds(60)) { probe.consumed.load(ordering: .relaxed) >= 9 })
        let firstPoll = probe.held.withLock { $0.first?.points.map(\.timestamp) ?? [] }
        try #require(firstPoll.count == 9)
        probe.held.withLock { $0.forEach { $0.acknowledge(.failed) } }
        let sentTwice = await eventually(within: .seconds(60)) {
            let stamps = probe.received.withLock { $0.map(\.timestamp) }
            return firstPoll.allSatisfy { stamp in stamps.filter { $0 == stamp }.count == 2 }
        }
        run.cancel()
        _ = try? await run.value
        #expect(sentTwice, "the failed rows were not read again")
    }
}

import Foundation
import SmokeGraph
import SmokeflowTesting
import Testing
import WebAdmin

/// The web admin's graphs read from a real influxd: raw `latency` rounds for short ranges, the
/// `latency_1h` rollup (its percentiles as the band) for long ones, one target's rounds only,
/// whatever its name holds.
@Suite(.enabled(if: Servers.runIntegration), .timeLimit(.minutes(2)))
struct InfluxSmokeGraphTests {
    static let start = 1_764_000_000

    func prepare() async throws -> (base: String, database: String) {
        let base = try #require(Servers.influxURL)
        let database = "graphs_\(UInt32.random(in: 0...UInt32.max))"
        try await Servers.createDatabase(base, database, from: Int64(Self.start), to: Int64(Self.start + 12 * 86_400))
        var lines: [String] = []
        for round in 0..<10 {
            let time = Self.start + 300 * (round + 1)
            let lost = round == 4 ? 2 : 0
            let pings = (1...(4 - lost)).map { "ping_\($0)=\(10 + round + $0)" }.joined(separator: ",")
            lines.append("latency,target=r1 \(pings),median=\(12 + round),loss=\(lost * 25),lost=\(lost)i,pings=4i \(time)")
            // A name with a quote: its rounds, and only its, come back.
            lines.append("latency,target=o'brien ping_1=99,ping_2=99,ping_3=99,ping_4=99,median=99,loss=0,lost=0i,pings=4i \(time)")
        }
        for hour in 0..<3 {
            lines.append("latency_1h,target=r1 ping_p10=\(20 + hour),ping_p50=\(25 + hour),ping_p90=\(30 + hour),median=\(25 + hour),loss=0 \(Self.start + 86_400 * (hour + 1))")
        }
        let (status, body) = try await Servers.post(base + "/write?db=\(database)&precision=s", body: lines.joined(separator: "\n"))
        #expect(status == 204, "\(body)")
        return (base, database)
    }

    @Test func shortRangesReadTheRoundsOfOneTarget() async throws {
        let (base, database) = try await prepare()
        let reader = InfluxSmokeReader(baseURL: base, database: database)
        let rounds = try await reader.read(target: "r1", start: Self.start, end: Self.start + 3 * 3600)
        #expect(rounds.step == 300 && rounds.pings == 4)
        #expect(rounds.rounds.map(\.time) == (1...10).map { Self.start + 300 * $0 })
        #expect(rounds.rounds[0].times == [11, 12, 13, 14] && rounds.rounds[0].median == 12 && rounds.rounds[0].loss == 0)
        #expect(rounds.rounds[4].times == [15, 16] && rounds.rounds[4].loss == 2)
        let quoted = try await reader.read(target: "o'brien", start: Self.start, end: Self.start + 3 * 3600)
        #expect(quoted.rounds.count == 10 && quoted.rounds.allSatisfy { $0.median == 99 })
        let injected = try await reader.read(target: "x' OR target = 'r1", start: Self.start, end: Self.start + 3 * 3600)
        #expect(injected.rounds.isEmpty, "a quote in the name must not widen the query")
    }

    @Test func longRangesReadTheHourlyRollup() async throws {
        let (base, database) = try await prepare()
        let rounds = try await InfluxSmokeReader(baseURL: base, database: database)
            .read(target: "r1", start: Self.start, end: Self.start + 10 * 86_400)
        #expect(rounds.step == 3600)
        #expect(rounds.rounds.map(\.time) == (1...3).map { Self.start + 86_400 * $0 })
        #expect(rounds.rounds[0].times == [20, 25, 30] && rounds.rounds[0].median == 25)
        let svg = SmokeGraphRenderer.svg(rounds)
        #expect(svg.contains("class=\"median\""), "\(svg.prefix(400))")
    }
}

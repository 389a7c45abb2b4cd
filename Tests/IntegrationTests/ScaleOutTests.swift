import Foundation
import LineProtocol
import Postgres
import SmokeflowTesting
import TargetStore
import Testing

/// pipelines/scale-out/ for real: three edge sites, each in its own network namespace with a
/// leaf nats-server (its own JetStream domain) and an agent probing at a 2 s step; a 3-node
/// central cluster whose R3 stream sources the sites; two central writers into influxd. One
/// site's uplink is cut for five steps; one writer, one central node and one agent are
/// killed with SIGKILL at random moments. Every round an agent produced is in InfluxDB, with
/// the values it had.
@Suite(
    .timeLimit(.minutes(6)),
    .enabled(if: NatsServer.available && ProbeLab.enabled && PostgresServers.runIntegration && Servers.runIntegration)
)
struct ScaleOutTests {
    struct Round: Hashable, CustomStringConvertible {
        let target: String
        let time: Int64
        var description: String { "\(target)@\(time)" }
    }

    @Test func edgeSitesAndCentralWritersLoseNoRoundThroughACutAndKills() async throws {
        let influx = try #require(Servers.influxURL, "SMOKEFLOW_INFLUX_URL is not set (scripts/test starts influxd)")
        let influxDatabase = "scaleout_" + UUID().uuidString.prefix(8).lowercased()
        let now = Int64(Date().timeIntervalSince1970)
        try await Servers.createDatabase(influx, influxDatabase, from: now - 3600, to: now + 3600)
        let databaseURL = try await PostgresServers.freshDatabase()
        let lab = ScaleOutLab(databaseURL: databaseURL, influxURL: influx, influxDatabase: influxDatabase, step: .seconds(2))
        do {
            try await run(lab, influx: influx, influxDatabase: influxDatabase)
        } catch {
            Issue.record("\(error)\n\(lab.logs)")
        }
        await lab.down()
    }

    func run(_ lab: ScaleOutLab, influx: String, influxDatabase: String) async throws {
        try await lab.startCentral()
        var sites: [EdgeSite] = []
        for name in ScaleOutLab.siteNames { sites.append(try await lab.startSite(name)) }
        // One PostgreSQL for every site; each agent probes its site's targets only.
        let connection = try await PostgresConnection.connect(lab.databaseURL)
        try await Migrator().migrate(connection)
        try await MetadataStore(connection: connection).upsert(sites.flatMap { site in
            [TargetRecord(name: site.targets[0], host: site.lab.v4, site: site.name), TargetRecord(name: site.targets[1], host: "127.0.0.1", site: site.name)]
        } + [TargetRecord(name: "elsewhere", host: "127.0.0.1", site: "site-z")])
        await connection.close()
        for site in sites { try site.start() }
        let writers = [try lab.startWriter("writer-1"), try lab.startWriter("writer-2")]

        let running = await eventually(within: .seconds(60), every: .milliseconds(250)) {
            sites.allSatisfy { site in site.targets.allSatisfy { target in Self.rounds(site).keys.contains { $0.target == target } } }
        }
        try #require(running, "every site probes its targets")
        let step = 2.0
        func random(_ range: ClosedRange<Double>) -> Duration { .milliseconds(Int(Double.random(in: range) * 1000)) }

        // The uplink of site-b goes down for five steps; meanwhile a writer and a central node die.
        let cutSite = sites[1]
        let cutStart = Date()
        try cutSite.cut()
        let writerKill = random(0...step), nodeKill = random(0...step * 2)
        print("scale-out: site-b cut; writer-1 killed after \(writerKill), n2 killed \(nodeKill) later")
        try await Task.sleep(for: writerKill)
        await writers[0].kill9()
        try await Task.sleep(for: nodeKill)
        await lab.central[1].kill9()
        try await Task.sleep(for: .seconds(step * 5) - writerKill - nodeKill)
        try cutSite.restore()
        let cutEnd = Date()
        try await lab.restartCentral(1)

        // An agent dies between two of its rounds or in one; restarted a step later, its disk
        // buffer replays what it had taken.
        let agentSite = sites[2]
        try await Task.sleep(for: random(0...step))
        let agentKill = Date()
        await agentSite.agent.kill9()
        try await Task.sleep(for: .seconds(step))
        try agentSite.agent.start()
        try await Task.sleep(for: .seconds(step * 4))
        for site in sites { await site.agent.stop() }

        // What every agent produced, and what reached InfluxDB through the centre.
        var produced: [Round: Double] = [:]
        for site in sites { produced.merge(Self.rounds(site)) { first, _ in first } }
        // An agent stopped by SIGTERM keeps what its uplink had not published yet in its disk
        // buffer for its next run, and says how many points: its newest rounds.
        var keptForNextRun: Set<Round> = []
        for site in sites {
            let newest = Self.rounds(site).keys.sorted { $0.time < $1.time }.suffix(Self.keptForNextRun(site.agent.log))
            keptForNextRun.formUnion(newest)
        }
        // The agent's SIGKILL may cost the round it was handing to its sinks: its record (a
        // file sink) and its uplink (a disk buffer) each took it or not. Nothing else differs.
        let nearKill = { (round: Round) in
            round.target.hasPrefix("site-c") && abs(Double(round.time) / 1e9 - agentKill.timeIntervalSince1970) <= step + 1
        }
        let due = Set(produced.keys).subtracting(keptForNextRun).filter { !nearKill($0) }
        var stored: [Round: Double] = [:]
        let complete = await eventually(within: .seconds(90), every: .seconds(1)) {
            stored = (try? await Self.stored(influx, influxDatabase)) ?? [:]
            return due.isSubset(of: Set(stored.keys))
        }
        let missing = due.subtracting(stored.keys)
        let lostAtTheKill = Set(produced.keys).filter(nearKill).subtracting(stored.keys)
        let extra = Set(stored.keys).subtracting(produced.keys)
        print("scale-out: \(produced.count) rounds produced, \(stored.count) stored, \(missing.count) missing, \(lostAtTheKill.count) lost at the agent's SIGKILL, \(extra.count) not in the agents' records, \(keptForNextRun.count) kept in a disk buffer for the next run")

        // Rounds taken while the uplink was down came through once it was back.
        let duringCut = produced.keys.filter {
            $0.target.hasPrefix("site-b") && Double($0.time) / 1e9 > cutStart.timeIntervalSince1970 + step && Double($0.time) / 1e9 < cutEnd.timeIntervalSince1970 - step
        }
        #expect(duringCut.count >= 4, "site-b kept probing through the cut: \(duringCut.count) rounds")
        #expect(duringCut.allSatisfy { stored[$0] != nil }, "site-b's rounds of the cut reached InfluxDB")
        #expect(complete, "rounds produced and never stored: \(missing.sorted { $0.time < $1.time })")
        #expect(lostAtTheKill.count <= 2 && extra.count <= 2, "at most a round per target of the killed agent: \(lostAtTheKill), \(extra)")
        #expect(extra.allSatisfy(nearKill), "stored rounds no agent recorded: \(extra.sorted { $0.time < $1.time })")
        let differing = produced.filter { round, loss in stored[round].map { $0 != loss } ?? false }
        #expect(differing.isEmpty, "a round stored with other values: \(differing)")
        #expect(produced.count >= 6 * 8, "enough rounds to judge: \(produced.count)")
        for site in sites {
            for target in site.targets {
                #expect(FileManager.default.fileExists(atPath: site.directory + "/rrd/\(target).rrd"), "the site's local store has \(target)")
            }
        }
        for site in sites {
            let probed = Set(Self.rounds(site).keys.map(\.target))
            #expect(probed == Set(site.targets), "\(site.name) probes its own targets only: \(probed.sorted())")
        }
    }

    /// The rounds an agent's record holds: their loss.
    static func rounds(_ site: EdgeSite) -> [Round: Double] {
        let text = (try? String(contentsOfFile: site.record, encoding: .utf8)) ?? ""
        var rounds: [Round: Double] = [:]
        for point in (try? LineProtocolParser.parse(text)) ?? [] {
            guard let target = point.tag("target"), case .float(let loss)? = point.field("loss") else { continue }
            rounds[Round(target: target, time: point.timestamp)] = loss
        }
        return rounds
    }

    /// The points the agent's last run left in its uplink's disk buffer ("disk buffer: N points
    /// in M records … kept for the next run"), 0 when it left none.
    static func keptForNextRun(_ log: String) -> Int {
        let lines = log.split(separator: "\n").filter { $0.contains("kept for the next run") }
        guard let line = lines.last, let range = line.range(of: "disk buffer: ") else { return 0 }
        return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    /// The rounds InfluxDB holds: their loss.
    static func stored(_ influx: String, _ database: String) async throws -> [Round: Double] {
        var rounds: [Round: Double] = [:]
        for series in try await Servers.influxSeries(influx, "SELECT loss, target FROM latency", database: database) {
            for row in series.values.indices {
                guard let time = series.column("time", row: row)?.integer, let target = series.column("target", row: row)?.string,
                    let loss = series.column("loss", row: row)?.double
                else { continue }
                rounds[Round(target: target, time: time)] = loss
            }
        }
        return rounds
    }
}

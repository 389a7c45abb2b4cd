import Foundation
import PipelineConfig
import Postgres
import TargetStore
import EventModel
import SmokeflowTesting
import Testing

@Suite struct MetadataUnitTests {
    @Test func interpolatedValuesBecomeParametersNeverSQL() {
        let hostile = "'; DROP TABLE targets; --"
        let count = 3
        let query: PostgresQuery = "SELECT * FROM targets WHERE name = \(hostile) AND pings > \(count) AND site = \(nil as String?)"
        #expect(query.sql == "SELECT * FROM targets WHERE name = $1 AND pings > $2 AND site = $3")
        #expect(query.parameters == [hostile, "3", nil])
        #expect(!query.description.contains("DROP"))
    }

    @Test func byteaTextRoundTrips() {
        let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xff, 0x5c, 0x22]
        let text = PostgresBytes(bytes).postgresText
        #expect(text == "\\x00017f80ff5c22")
        #expect(PostgresBytes(postgresText: text)?.bytes == bytes)
        #expect(PostgresBytes(postgresText: "\\x0") == nil)
    }

    @Test func malformedConnectionStringErrorLeaksNothing() async {
        let secret = "s3cr3t-password-xyz"
        await #expect {
            _ = try await PostgresConnection.connect("host=127.0.0.1 password=\(secret) bogus")
        } throws: { error in
            "\(error)".contains("neither a postgresql:// URL") && !"\(error)".contains(secret)
        }
    }

    @Test func hostsAndNamesAreChecked() {
        for host in ["192.0.2.1", "2001:db8::1", "::1", "router-1.example.net", "example.com.", "localhost"] {
            #expect(TargetValidation.isValidHost(host), "\(host)")
        }
        for host in ["300.1.1.1", "1.2.3", "-bad.example", "a b", "exa$mple.com", "", "fe80::1::2", String(repeating: "a", count: 64) + ".com"] {
            #expect(!TargetValidation.isValidHost(host), "\(host)")
        }
        #expect(TargetValidation.isValidName("router_1-b"))
        #expect(!TargetValidation.isValidName("router 1"))
        #expect(!TargetValidation.isValidName("../etc"))
    }

    @Test func csvRowsKeepTheirLinesThroughQuotedNewlines() throws {
        let csv = "name,host,title\nr1,192.0.2.1,\"two\nlines, \"\"quoted\"\"\"\nbad name,192.0.2.3,x\nr4,1.2.3.400,x\n"
        let (file, errors) = try TargetFile.check(csv, file: "t.csv", format: .csv)
        #expect(file.entries.map(\.record.title) == ["two\nlines, \"quoted\""])
        #expect(errors.map(\.description) == [
            "t.csv:4:1: target name 'bad name' must match [-_0-9a-zA-Z]+ (SmokePing's rule)",
            "t.csv:5:1: target 'r4': host '1.2.3.400' is neither an IP address nor a valid host name",
        ])
    }

    @Test func yamlErrorsNameLineAndColumn() {
        let yaml = """
            targets:
              - name: r1
                host: 192.0.2.1
              - name: r1
                host: 192.0.2.2
              - name: r3
                host: 192.0.2.3
                colour: blue
              - name: r4
                active: maybe
                host: 192.0.2.4
              - name: r5
                host: 192.0.2.5
                record: QUAD
              - name: r6
                host: 192.0.2.6
                alerts: "someloss, big rtt"
            """
        #expect {
            _ = try TargetFile.parse(yaml, file: "t.yaml", format: .yaml)
        } throws: { error in
            let lines = (error as? ConfigErrors)?.errors.map(\.description) ?? []
            return lines == [
                "t.yaml:4:5: target 'r1' is listed twice (first at line 2)",
                "t.yaml:8:13: unknown column 'colour' (expected name, host, title, active, category, probe, site, cachegroup, lookup, record, alerts)",
                "t.yaml:10:13: target 'r4': active must be true or false, not 'maybe'",
                "t.yaml:14:13: target 'r5': record must be one of A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, ANY, not 'QUAD'",
                "t.yaml:17:13: target 'r6': alerts: 'big rtt' is not an alert name (no spaces, commas or control characters)",
            ]
        }
    }

    @Test func alertsAreReadAsSmokePingWritesThem() throws {
        let yaml = "targets:\n  - { name: a, host: 192.0.2.1, alerts: \" someloss , bigrtt \" }\n  - { name: b, host: 192.0.2.2, alerts: \"\" }\n"
        let records = try TargetFile.parse(yaml, file: "t.yaml", format: .yaml).entries.map(\.record)
        #expect(records.map(\.alerts) == ["someloss,bigrtt", nil])
        #expect(throws: TargetValidation.InvalidAlertName.self) { try TargetValidation.normalizedAlerts("a,,b") }
        #expect(throws: TargetValidation.InvalidAlertName.self) { try TargetValidation.normalizedAlerts("a,b\u{1}") }
        // What the web form and CSV hand the store: an empty box is none, a bad value goes as given.
        #expect(TargetValidation.normalizedAlertsOrAsGiven("") == nil)
        #expect(TargetValidation.normalizedAlertsOrAsGiven(" a , b ") == "a,b")
        #expect(TargetValidation.normalizedAlertsOrAsGiven("some loss") == "some loss")
    }

    @Test func exportReadsBackToTheSameRecords() throws {
        let records = [
            TargetRecord(name: "r1", host: "192.0.2.1", title: "'; DROP TABLE targets; --", category: "core", site: "Zürich \"HQ\", 2nd"),
            TargetRecord(name: "r2", host: "2001:db8::2", title: "line\nbreak\\ and: colon # hash", isActive: false, probe: "FPing6", cachegroup: " lead"),
            TargetRecord(name: "r3", host: "192.0.2.53", probe: "DNS", lookup: "example.org", record: "MX"),
            TargetRecord(name: "r4", host: "192.0.2.4", alerts: "someloss,bigrtt"),
        ]
        for format in TargetFile.Format.allCases {
            let text = TargetExport.render(records, as: format)
            let back = try TargetFile.parse(text, file: "x", format: format).entries.map(\.record)
            #expect(back == records, "\(format)")
        }
    }

    @Test func mergeTagsKeepsByteOrderAndReplaces() {
        var point = Point(measurement: "m", tags: [.init("a", "1"), .init("site", "old"), .init("target", "t")], fields: [.init("f", .int(1))], timestamp: 0)
        point.mergeTags([.init("category", "c"), .init("site", "new"), .init("z", "last")])
        #expect(point.tags.map(\.key) == ["a", "category", "site", "target", "z"])
        #expect(point.tag("site") == "new")
    }
}

/// `postgres_join` with no database: `targets_file` is the metadata origin, reloaded when it changes.
@Suite struct TargetsFileJoinTests {
    @Test func targetsFileEnrichesAndReloadsWhenChanged() async throws {
        let directory = temporaryDirectory()
        let file = directory + "/targets.yaml"
        try "targets:\n  - { name: r1, host: 192.0.2.1, site: ams, category: core }\n".write(toFile: file, atomically: true, encoding: .utf8)
        let (probeKey, probe) = Observer.make()
        let run = Task {
            try await runPipeline("""
                sources: { in: { type: generator, probe: \(probeKey), interval: 20ms, target: r1 } }
                transforms: { join: { type: postgres_join, inputs: [in], targets_file: \(file), refresh_interval: 100ms } }
                sinks: { out: { type: collect, inputs: [join], probe: \(probeKey) } }
                """, environment: [:])
        }
        defer { run.cancel() }
        #expect(await lastSite(probe, becomes: "ams"))
        #expect(probe.received.withLock { $0.last?.tag("category") } == "core")
        // A later modification time, so the change is seen even within one timestamp tick.
        try "targets:\n  - { name: r1, host: 192.0.2.1, site: fra }\n".write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: file)
        #expect(await lastSite(probe, becomes: "fra"))
        #expect(probe.received.withLock { $0.last?.tag("category") } == nil)
    }

    /// DATABASE_URL in the environment is a database; this needs a machine without one.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["DATABASE_URL"] == nil))
    func aJoinWithNeitherDatabaseNorFileIsAConfigurationError() async throws {
        await #expect {
            _ = try await runPipeline("""
                sources: { in: { type: generator, probe: x } }
                transforms: { join: { type: postgres_join, inputs: [in] } }
                sinks: { out: { type: collect, inputs: [join], probe: x } }
                """, environment: [:])
        } throws: { error in
            "\(error)".contains("transform 'join': needs a database")
        }
    }

    /// The reload runs on NIO's shared thread pool, which every parallel test's blocking calls
    /// also use: on a loaded machine it took over 15 s once (fresh-clone run), so the deadline
    /// bounds a hang, not the speed.
    func lastSite(_ probe: Observer, becomes site: String) async -> Bool {
        await eventually(within: .seconds(90), every: .milliseconds(10)) { probe.received.withLock { $0.last?.tag("site") } == site }
    }
}

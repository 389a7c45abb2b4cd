import Foundation
import Postgres
import SmokeflowTesting
import TargetStore
import Testing

/// `smokeflow targets import` of a SmokePing configuration into the real PostgreSQL: categories,
/// probes and targets in one transaction; a bad file writes nothing.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SmokePingImportTests: CommandLineRunning {
    func migratedDatabase() async throws -> String {
        let url = try await PostgresServers.freshDatabase()
        let migrated = try await smokeflow(["db", "migrate"], environment: ["DATABASE_URL": url])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        return url
    }

    func store(_ url: String) async throws -> (targets: [TargetRecord], categories: [CategoryRecord], probes: [ProbeRecord]) {
        let connection = try await PostgresConnection.connect(url)
        let store = MetadataStore(connection: connection)
        let result = (try await store.targets(), try await store.categories(), try await store.probes())
        await connection.close()
        return result
    }

    static let config = """
        *** General ***
        datadir = /var/lib/smokeping
        @include Probes
        @include Targets
        """
    static let probes = """
        *** Probes ***
        + FPing
        binary = /usr/bin/fping
        ++ FPingFast
        step = 60
        pings = 5
        ++ FPingSlow
        step = 600
        + DNS
        binary = /usr/bin/dig
        pings = 5
        forks = 3
        """
    static let targets = """
        *** Targets ***
        probe = FPingFast
        menu = Top
        title = Imported

        + lab
        menu = Lab
        title = The lab
        ++ core
        +++ r2
        host = 192.0.2.2
        probe = FPingSlow
        ++ r1
        host = 192.0.2.1
        title = Router 1
        + dns
        probe = DNS
        ++ ns1
        host = 192.0.2.53
        lookup = example.org
        """

    @Test(.enabled(if: PostgresServers.runIntegration))
    func aSmokePingConfigImportsCategoriesProbesAndTargets() async throws {
        let url = try await migratedDatabase()
        let directory = temporaryDirectory()
        for (name, text) in [("config", Self.config), ("Probes", Self.probes), ("Targets", Self.targets)] {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        let result = try await smokeflow(["targets", "import", directory + "/config"], environment: ["DATABASE_URL": url])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "imported from SmokePing config \(directory)/config: 3 categories, 3 probes, 3 targets (inserted or updated)\n")

        let (targets, categories, probes) = try await store(url)
        #expect(targets.map(\.name) == ["ns1", "r1", "r2"])
        #expect(targets[0] == TargetRecord(name: "ns1", host: "192.0.2.53", category: "dns", probe: "DNS", lookup: "example.org"))
        #expect(targets[1] == TargetRecord(name: "r1", host: "192.0.2.1", title: "Router 1", category: "lab", probe: "FPingFast"))
        #expect(targets[2] == TargetRecord(name: "r2", host: "192.0.2.2", category: "lab/core", probe: "FPingSlow"))
        #expect(categories.map(\.name) == ["default", "dns", "lab", "lab/core"])
        #expect(categories.first { $0.name == "lab" } == CategoryRecord(name: "lab", displayName: "Lab", description: "The lab"))
        #expect(probes.map(\.name) == ["DNS", "FPing", "FPing6", "FPingFast", "FPingSlow"])
        #expect(probes.first { $0.name == "FPingFast" } == ProbeRecord(
            name: "FPingFast", binaryPath: "/usr/bin/fping", stepSeconds: 60, pings: 5, forks: 5, isDefault: true, module: "FPing"))
        #expect(probes.filter(\.isDefault).map(\.name) == ["FPingFast"])
        #expect(probes.first { $0.name == "DNS" } == ProbeRecord(name: "DNS", binaryPath: "/usr/bin/dig", stepSeconds: 300, pings: 5, forks: 3))
    }

    @Test(.enabled(if: PostgresServers.runIntegration))
    func aBadSmokePingConfigWritesNothing() async throws {
        let url = try await migratedDatabase()
        let before = try await store(url)
        let directory = temporaryDirectory()
        let broken = Self.targets + "\n+ other\n++ ns2\nhost = 192.0.2.999\n++ ns1\nhost = 192.0.2.54\n"
        for (name, text) in [("config", Self.config), ("Probes", Self.probes), ("Targets", broken)] {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        let result = try await smokeflow(["targets", "import", directory + "/config"], environment: ["DATABASE_URL": url])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n") == [
            "\(directory)/Targets:22:1: target 'ns2': host '192.0.2.999' is neither an IP address nor a valid host name",
            "\(directory)/Targets:24:1: target 'ns1' (other/ns1) has the name of the target at \(directory)/Targets:18; names must be unique in the store",
        ])
        #expect(result.stdout.isEmpty)
        let after = try await store(url)
        #expect(after.targets == before.targets && after.categories == before.categories && after.probes == before.probes)

        // A lone Targets file may name only probes the store has: checked inside the transaction.
        try "*** Targets ***\nprobe = FPing\n+ x\n++ a\nhost = 192.0.2.1\n++ b\nprobe = Nowhere\nhost = 192.0.2.2\n"
            .write(toFile: directory + "/Lone", atomically: true, encoding: .utf8)
        let lone = try await smokeflow(["targets", "import", directory + "/Lone"], environment: ["DATABASE_URL": url])
        #expect(lone.status == 1)
        #expect(lone.stderr == "\(directory)/Lone:6:1: target 'x/b': probe 'Nowhere' is neither in the file nor in the store\n")
        let unchanged = try await store(url)
        #expect(unchanged.targets == before.targets && unchanged.categories == before.categories)
    }

    /// `*** Alerts ***` becomes the rules file `--alert-rules` names (the alert transform's
    /// `rules_file`), each target's `alerts` (inherited, or dropped by an empty one) its column.
    @Test(.enabled(if: PostgresServers.runIntegration))
    func theAlertsSectionBecomesARulesFileAndEachTargetsAlertsItsColumn() async throws {
        let url = try await migratedDatabase()
        let directory = temporaryDirectory()
        let alerts = """
            *** Alerts ***
            to = ops@example.net
            from = smokealert@example.net
            edgetrigger = yes
            +someloss
            type = loss
            pattern = >0%,*12*,>0%,*12*,>0%
            comment = loss 3 times in a row
            +bigrtt
            type = rtt
            pattern = <100,<100,>200,>200
            priority = 2
            """
        let config = Self.config.replacingOccurrences(of: "@include Targets", with: "@include Alerts\n@include Targets")
        let targets = Self.targets
            .replacingOccurrences(of: "title = Imported\n", with: "title = Imported\nalerts = someloss\n")
            .replacingOccurrences(of: "title = Router 1", with: "title = Router 1\nalerts = someloss, bigrtt")
            .replacingOccurrences(of: "probe = DNS\n", with: "probe = DNS\nalerts =\n")
        for (name, text) in [("config", config), ("Probes", Self.probes), ("Targets", targets), ("Alerts", alerts)] {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        let rulesFile = directory + "/alert-rules.yaml"
        let result = try await smokeflow(["targets", "import", directory + "/config", "--alert-rules", rulesFile], environment: ["DATABASE_URL": url])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("wrote 2 alert rules to \(rulesFile)\n"))
        #expect(result.stderr.contains("\(directory)/Alerts:2:1: note: Alerts: 'to' is not kept"))
        let stored = try await store(url).targets
        #expect(stored.map(\.name) == ["ns1", "r1", "r2"])
        #expect(stored.map(\.alerts) == [nil, "someloss,bigrtt", "someloss"])

        // The rules file is what an alert transform reads.
        let pipeline = directory + "/alerting.yaml"
        try """
            sources:
              in: { type: fixture, path: \(directory)/none.lp }
            transforms:
              alerts: { type: alert, inputs: [in], rules_file: \(rulesFile) }
            sinks:
              out: { type: stdout, inputs: [alerts] }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let validated = try await smokeflow(["validate", pipeline])
        #expect(validated.status == 0, "\(validated.stderr)")
        let text = try String(contentsOfFile: rulesFile, encoding: .utf8)
        #expect(text.contains("  \"someloss\":\n    type: loss\n    pattern: \">0%,*12*,>0%,*12*,>0%\"\n    comment: \"loss 3 times in a row\"\n    edgetrigger: true\n"))

        // Without --alert-rules the rules are named as not written; a YAML file takes no --alert-rules.
        let again = try await smokeflow(["targets", "import", directory + "/config"], environment: ["DATABASE_URL": url])
        #expect(again.status == 0 && again.stderr.contains("the Alerts section's 2 rules are not written; give --alert-rules FILE"), "\(again.stderr)")
        try "targets: []\n".write(toFile: directory + "/t.yaml", atomically: true, encoding: .utf8)
        let refused = try await smokeflow(["targets", "import", directory + "/t.yaml", "--alert-rules", rulesFile], environment: ["DATABASE_URL": url])
        #expect(refused.status != 0 && refused.stderr.contains("--alert-rules reads a SmokePing config's Alerts section"), "\(refused.stderr)")
    }
}

import Foundation
import PipelineConfig
import SmokePingConfig
import SmokeflowTesting
import TargetStore
import Testing

/// Reading SmokePing's own configuration: the shipped examples, includes, errors, round trip.
struct SmokePingConfigParserTests {
    static let examples = "/usr/share/doc/smokeping/examples"

    func write(_ files: [String: String]) throws -> String {
        let directory = temporaryDirectory()
        for (name, text) in files {
            try FileManager.default.createDirectory(
                atPath: (directory + "/" + name as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        return directory
    }

    func messages(_ body: () throws -> Void) -> [String] {
        do {
            try body()
            return []
        } catch let errors as ConfigErrors {
            return errors.errors.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func theShippedMultipleProbesExampleReadsIntoTargetsCategoriesAndProbes() throws {
        let config = try SmokePingConfig.read(file: Self.examples + "/config.multiple-probes")
        #expect(config.defaultProbe == "FPing")
        #expect(config.databaseStep == 300 && config.databasePings == 20)
        #expect(config.general["datadir"] == "/var/lib/smokeping")
        #expect(config.targets.map(\.sectionPath) == [
            "network/myhost1", "network/myhost2", "services/DNS/dns1", "services/DNS/dns2", "services/HTTP/www1", "services/HTTP/www2",
        ])
        #expect(config.targets.map(\.probe) == ["FPing", "FPing", "DNS", "DNS", "FPing", "FPing"])
        let records = try config.storeRecords()
        #expect(records.categories.map(\.name) == ["network", "services", "services/DNS", "services/HTTP"])
        #expect(records.categories[0] == CategoryRecord(name: "network", displayName: "Net latency", description: "Network latency (ICMP pings)"))
        #expect(records.probes.map(\.name) == ["FPing", "DNS", "EchoPingHttp"])
        #expect(records.probes[1] == ProbeRecord(name: "DNS", binaryPath: "/usr/bin/dig", stepSeconds: 180, pings: 5, forks: 5))
        #expect(records.probes[0].isDefault && records.probes[0].pings == 20)
        #expect(records.targets[2] == TargetRecord(name: "dns1", host: "dns1.example", category: "services/DNS", probe: "DNS"))
        // Probe settings the store has no column for are reported, with their lines.
        #expect(config.notes.map(\.message).contains("probe 'FPing': 'packetsize' is not kept"))
    }

    @Test func probeInstancesAreProbesOfTheirModuleAndDuplicateTargetNamesAreErrors() throws {
        let file = Self.examples + "/config.fping-instances"
        let config = try SmokePingConfig.read(file: file)
        #expect(config.probes.map(\.record.name) == ["FPingNormal", "FPingLarge"])
        #expect(config.probes.map(\.record.module) == ["FPing", "FPing"])
        #expect(config.probes[0].record.binaryPath == "/usr/bin/fping" && config.probes[0].record.isDefault)
        #expect(config.targets.map(\.sectionPath) == ["network/myhost1/normal", "network/myhost1/large", "network/myhost2/normal", "network/myhost2/large"])
        // SmokePing allows `normal` under two hosts; the store's names are unique.
        let errors = messages { _ = try config.storeRecords() }
        #expect(errors.count == 2)
        #expect(errors.first?.hasPrefix("\(file):") == true)
        #expect(errors.first?.hasSuffix("target 'normal' (network/myhost2/normal) has the name of the target at \(file):\(config.targets[0].location.line); names must be unique in the store") == true)
    }

    @Test(arguments: ["config.simple", "config.echoping", "config.targetvars-with-Curl", "config.template"])
    func everyShippedExampleParses(name: String) throws {
        let path = Self.examples + "/" + name
        try #require(FileManager.default.fileExists(atPath: path), "smokeping's examples are not installed")
        let document = try SmokePingConfigParser().parse(file: path)
        #expect(document.section("Targets") != nil)
        #expect(document.section("Probes") != nil)
    }

    @Test func debiansOwnConfigReadsThroughItsIncludes() throws {
        let config = try SmokePingConfig.read(file: "/etc/smokeping/config")
        #expect(config.targets.map(\.sectionPath) == ["Local/LocalMachine"])
        #expect(config.targets.first?.host == "localhost")
        #expect(config.general["piddir"] == "/run/smokeping")
        #expect(config.probes.map(\.record.name) == ["FPing"])
        // Debian's Alerts file: one rule; its mail settings are notes.
        #expect(config.alertRules.map(\.rule.name) == ["someloss"])
        #expect(config.alertRules.first?.rule.pattern.text == ">0%,*12*,>0%,*12*,>0%")
        #expect(config.alertRules.first?.rule.comment == "loss 3 times  in a row")
        #expect(config.notes.contains { $0.message == "Alerts: 'to' is not kept (notifications go to the alert transform's notify list)" })
    }

    static let alertingConfig = """
        *** Probes ***
        + FPing
        binary = /usr/bin/fping

        *** Alerts ***
        to = ops@example.net
        edgetrigger = yes

        +someloss
        type = loss
        pattern = >0%,*12*,>0%,*12*,>0%
        comment = loss 3 times in a row

        +bigrtt
        type = rtt
        pattern = <100,<100,>200,>200
        edgetrigger = no
        priority = 2

        +mailonly
        type = matcher
        pattern = Avgratio(historic=>a,current=>b,comparator=>'>',percentage=>1000)

        *** Targets ***
        probe = FPing
        menu = Top
        title = Top
        alerts = someloss

        + core
        menu = Core
        title = Core

        ++ r1
        host = 192.0.2.1

        ++ r2
        host = 192.0.2.2
        alerts = someloss , bigrtt

        + lab
        menu = Lab
        title = Lab
        alerts =

        ++ l1
        host = 192.0.2.3
        """

    @Test func theAlertsSectionIsReadAndEachTargetsAlertsAreInheritedOrDropped() throws {
        let directory = try write(["config": Self.alertingConfig])
        let config = try SmokePingConfig.read(file: directory + "/config")
        #expect(config.alertRules.map(\.rule.name) == ["someloss", "bigrtt"])
        let rules = Dictionary(uniqueKeysWithValues: config.alertRules.map { ($0.rule.name, $0.rule) })
        #expect(rules["someloss"]?.edgeTrigger == true && rules["someloss"]?.kind == .loss && rules["someloss"]?.priority == nil)
        #expect(rules["bigrtt"]?.edgeTrigger == false && rules["bigrtt"]?.kind == .rtt && rules["bigrtt"]?.priority == 2)
        #expect(config.notes.contains { $0.message == "alert 'mailonly': matcher alerts are not kept" && $0.location.line == 20 })
        let records = try config.storeRecords()
        #expect(records.targets.map(\.alerts) == ["someloss", "someloss,bigrtt", nil])
        // The rules file reads back to the same rules.
        #expect(config.alertRulesFile(source: "config").contains("  \"bigrtt\":\n    type: rtt\n    pattern: \"<100,<100,>200,>200\"\n    edgetrigger: false\n    priority: 2\n"))
    }

    @Test func alertsNamingNoRuleAndBadRulesAreErrorsAtTheirLines() throws {
        let text = Self.alertingConfig
            .replacingOccurrences(of: "alerts = someloss , bigrtt", with: "alerts = someloss,nosuch")
            .replacingOccurrences(of: "pattern = <100,<100,>200,>200", with: "pattern = <100,*x*")
        let directory = try write(["config": text])
        let shown = messages { _ = try SmokePingConfig.read(file: directory + "/config") }
        #expect(shown.contains { $0.hasPrefix(directory + "/config:16:1: alert 'bigrtt': ") })
        #expect(shown.contains(directory + "/config:37:1: target 'core/r2': alert 'nosuch' is not defined in the Alerts section"))
    }

    @Test func includesAreRelativeToTheIncludingFileAndCommentsAndContinuationsFollowConfigGrammar() throws {
        let directory = try write([
            "config": "*** General ***\ndatadir = /tmp/x # a comment\n@include parts/Targets\n",
            "parts/Targets": "*** Targets ***\nprobe = FPing\nmenu = Top\ntitle = A \\\n   long title\n@include more\n",
            "parts/more": "+ a\n++ t1\nhost = 192.0.2.1\n",
        ])
        let config = try SmokePingConfig.read(file: directory + "/config")
        #expect(config.general["datadir"] == "/tmp/x")
        #expect(config.targets.map(\.sectionPath) == ["a/t1"])
        #expect(config.targets.first?.location == SourceLocation(file: directory + "/parts/more", line: 2, column: 1))
        let document = try SmokePingConfigParser().parse(file: directory + "/config")
        #expect(document.section("Targets")?.value("title") == "A  long title")  // Config::Grammar keeps the space before the `\\`
        #expect(document.files == [directory + "/config", directory + "/parts/Targets", directory + "/parts/more"])
    }

    @Test func anIncludeLoopIsAnErrorAtTheIncludeLine() throws {
        let directory = try write(["a": "*** Targets ***\n@include b\n", "b": "\n@include a\n"])
        #expect(messages { _ = try SmokePingConfigParser().parse(file: directory + "/a") }
            == ["\(directory)/b:2:1: @include loop: \(directory)/a includes itself (through a → b)"])
    }

    @Test func syntaxErrorsNameFileAndLine() throws {
        let directory = try write([
            "config": """
                *** Targets ***
                probe = FPing
                menu = Top
                +++ tooDeep
                + a
                ++ t1
                host = 192.0.2.1
                host = 192.0.2.2
                @include nowhere
                """,
        ])
        let file = directory + "/config"
        #expect(messages { _ = try SmokePingConfigParser().parse(file: file) } == [
            "\(file):4:1: section '+++ tooDeep' is 2 level(s) deeper than the section it is in",
            "\(file):8:1: 'host' is already set in this section (at \(file):7)",
            "\(file):9:1: cannot read the included file \(directory)/nowhere",
        ])
    }

    @Test func meaningErrorsNameFileAndLine() throws {
        let directory = try write([
            "config": """
                *** Database ***
                step = often
                *** Probes ***
                + FPing
                binary = /usr/bin/fping
                + Bogus
                *** Targets ***
                menu = Top
                + a
                ++ t1
                host = 192.0.2.1
                ++ t2
                host = 192.0.2.3
                probe = Missing
                + bad.name
                """,
        ])
        let file = directory + "/config"
        #expect(messages { _ = try SmokePingConfig.read(file: file) } == [
            "\(file):2:1: step must be a whole number",
            "\(file):6:1: 'Bogus' is not a SmokePing probe module",
            "\(file):7:1: Targets: probe is not set (the default probe of every target)",
            "\(file):10:1: target 'a/t1': probe '' is not in the Probes section",
            "\(file):12:1: target 'a/t2': probe 'Missing' is not in the Probes section",
            "\(file):15:1: section name 'bad.name' must match [-_0-9a-zA-Z]+ (SmokePing's rule)",
        ])
    }

    @Test func multiHostGraphsAndSlavesAreReportedNotImported() throws {
        let directory = try write(["config": """
            *** Targets ***
            probe = FPing
            menu = Top
            title = T
            + a
            slaves = boomer
            ++ t1
            host = 192.0.2.1
            ++ both
            host = /a/t1 /a/t2
            """])
        let config = try SmokePingConfig.read(file: directory + "/config")
        #expect(config.targets.map(\.name) == ["t1"])
        #expect(config.notes.map(\.message) == [
            "'a/t1': slaves are not kept (the master's target is)",
            "'a/both': a multi-host graph (host = /a/t1 /a/t2) is not a target; left out",
        ])
    }

    @Test func renderingThenReadingGivesBackTheSameStore() throws {
        // FPing with an instance is a template in SmokePing: FPing itself is written as `++ FPing`.
        let store = (
            targets: [
                TargetRecord(name: "Google", host: "google.com", category: "websites"),
                TargetRecord(name: "GoogleDNS", host: "8.8.8.8", title: "Google DNS", category: "dns", probe: "DNS", lookup: "google.com"),
                TargetRecord(name: "r1", host: "192.0.2.1", title: "Router 1", category: "lab/core"),
                TargetRecord(name: "r6", host: "2001:db8::1", category: "lab/core", probe: "FPing6"),
                TargetRecord(name: "slow", host: "192.0.2.8", category: "lab", probe: "FPingSlow"),
            ],
            categories: [
                CategoryRecord(name: "dns", displayName: "DNS resolvers"),
                CategoryRecord(name: "lab", displayName: "", description: "The lab"),
                CategoryRecord(name: "lab/core", displayName: "Core routers", description: "Routers of the core"),
                CategoryRecord(name: "websites", displayName: "Popular websites", description: "Outbound to the Internet"),
            ],
            probes: [
                ProbeRecord(name: "DNS", binaryPath: "/usr/bin/dig", stepSeconds: 300, pings: 5, forks: 5),
                ProbeRecord(name: "FPing", binaryPath: "/usr/bin/fping", stepSeconds: 300, pings: 20, isDefault: true),
                ProbeRecord(name: "FPingSlow", binaryPath: "/usr/bin/fping", stepSeconds: 600, pings: 10, module: "FPing"),
                ProbeRecord(name: "FPing6", binaryPath: "/usr/bin/fping", stepSeconds: 300, pings: 20),
            ]
        )
        let files = try SmokePingConfigRenderer().render(targets: store.targets, categories: store.categories, probes: store.probes)
        let directory = try write(["Targets": files.targets, "Probes": files.probes, "config": "@include Probes\n@include Targets\n"])
        let records = try SmokePingConfig.read(file: directory + "/config").storeRecords()
        #expect(records.targets.sorted { $0.name < $1.name } == store.targets.sorted { $0.name < $1.name })
        #expect(records.categories.sorted { $0.name < $1.name } == store.categories)
        #expect(records.probes.sorted { $0.name < $1.name } == store.probes.sorted { $0.name < $1.name })
    }

    @Test func aSmokePingConfigIsToldFromYAMLAndCSVByItsContent() {
        #expect(SmokePingConfig.looksLikeSmokePingConfig("*** Targets ***\nprobe = FPing\n"))
        #expect(SmokePingConfig.looksLikeSmokePingConfig("@include /etc/smokeping/config.d/General\n"))
        #expect(!SmokePingConfig.looksLikeSmokePingConfig("targets:\n  - { name: a, host: b }\n"))
        #expect(!SmokePingConfig.looksLikeSmokePingConfig("name,host\na,192.0.2.1\n"))
    }
}

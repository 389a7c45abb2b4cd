public import Alerting
import EventModel
public import PipelineConfig
public import TargetStore

/// A SmokePing configuration given meaning: the probes, the target tree (each target with its
/// section path and inherited probe), the Database's step and pings, and General's paths.
/// Read from `smokeping --config` files (`read(file:)`) or a parsed document.
public struct SmokePingConfig: Sendable {
    /// One `host` section of the Targets tree.
    public struct Target: Sendable, Equatable {
        /// Section names from the top (`["network", "myhost1", "normal"]`); the last is the target's name.
        public var path: [String]
        public var host: String
        /// The probe in effect (set here or inherited).
        public var probe: String
        public var title: String?
        public var menu: String?
        public var lookup: String?
        /// AnotherDNS's `recordtype` (set here or inherited).
        public var recordType: String?
        public var slaves: String?
        /// The alert rules checked for it (`alerts`, set here or inherited; an empty value
        /// drops the inherited ones); nil when none.
        public var alerts: [String]?
        public var location: SourceLocation

        public var name: String { path.last ?? "" }
        /// `network/myhost1/normal`: the RRD file's path under the data directory, without `.rrd`.
        public var sectionPath: String { path.joined(separator: "/") }
        /// The category the store gives it: its section path without the last part.
        public var category: String? { path.count > 1 ? path.dropLast().joined(separator: "/") : nil }
    }

    public var targets: [Target] = []
    public var categories: [(record: CategoryRecord, location: SourceLocation)] = []
    public var probes: [(record: ProbeRecord, location: SourceLocation)] = []
    /// Whether the files had a `*** Probes ***` section (a lone Targets file has none).
    public var hasProbesSection = false
    /// The Targets section's `probe` (SmokePing's default probe).
    public var defaultProbe: String?
    public var databaseStep: Int?
    public var databasePings: Int?
    /// `*** Alerts ***`: the rules in file order, and whether the section was there.
    public var alertRules: [(rule: AlertRule, location: SourceLocation)] = []
    public var hasAlertsSection = false
    /// The section's own `edgetrigger` (the rules' default).
    public var alertEdgeTrigger = false
    /// `*** General ***` settings (`datadir`, `piddir`, `imgcache`, …).
    public var general: [String: String] = [:]
    /// What the store does not keep (multi-host graphs, slaves, other settings), one line each with its place.
    public var notes: [ConfigError] = []

    public init() {}

    /// Reads `file` and what it includes. Blocking: call it off the cooperative pool.
    public static func read(file: String, parser: SmokePingConfigParser = SmokePingConfigParser()) throws(ConfigErrors) -> SmokePingConfig {
        try SmokePingConfig(document: parser.parse(file: file))
    }

    /// A line `*** Name ***` or `@include …`: what no YAML or CSV targets file has.
    public static func looksLikeSmokePingConfig(_ text: String) -> Bool {
        text.split(separator: "\n").contains { raw in
            let line = raw.trimmingCharacters(in: .whitespaces)
            return (line.hasPrefix("***") && line.hasSuffix("***") && line.count >= 6) || line.hasPrefix("@include ")
        }
    }

    public init(document: SmokePingConfigDocument) throws(ConfigErrors) {
        var errors: [ConfigError] = []
        if let general = document.section("General") {
            for setting in general.settings { self.general[setting.key] = setting.value }
        }
        if let database = document.section("Database") {
            databaseStep = Self.integer(database.setting("step"), errors: &errors)
            databasePings = Self.integer(database.setting("pings"), errors: &errors)
        }
        if let section = document.section("Probes") {
            hasProbesSection = true
            readProbes(section, errors: &errors)
        }
        if let section = document.section("Alerts") { readAlerts(section, errors: &errors) }
        if let section = document.section("Targets") {
            defaultProbe = section.value("probe")
            if defaultProbe == nil { errors.append(ConfigError(section.location, "Targets: probe is not set (the default probe of every target)")) }
            let inherited = Inherited(
                probe: defaultProbe ?? "", lookup: nil, recordType: nil, slaves: section.value("slaves"), alerts: Self.alertNames(section.value("alerts"))
            )
            readTargets(section, path: [], inherited: inherited, errors: &errors)
        }
        // The Probes section comes first in SmokePing's files, the default probe later.
        for index in probes.indices { probes[index].record.isDefault = probes[index].record.name == defaultProbe }
        if hasProbesSection {
            let names = Set(probes.map(\.record.name))
            for target in targets where !names.contains(target.probe) {
                errors.append(ConfigError(target.location, "target '\(target.sectionPath)': probe '\(target.probe)' is not in the Probes section"))
            }
        }
        errors += alertProblems()
        if !errors.isEmpty { throw ConfigErrors(errors) }
    }

    /// `alerts` split as SmokePing splits it (`/\s*,\s*/`); empty for an empty value.
    static func alertNames(_ value: String?) -> [String]? {
        value.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    static func integer(_ setting: SmokePingConfigDocument.Setting?, errors: inout [ConfigError]) -> Int? {
        guard let setting else { return nil }
        guard let value = Int(setting.value), value >= 0 else {
            errors.append(ConfigError(setting.location, "\(setting.key) must be a whole number"))
            return nil
        }
        return value
    }
}

import EventModel
import PipelineConfig
import TargetStore

extension SmokePingConfig {
    /// Settings a Targets section passes down to its subsections (Smokeping.pm's `_inherited`).
    struct Inherited {
        var probe: String
        var lookup: String?
        var recordType: String?
        var slaves: String?
        var alerts: [String]?
    }

    static let keptProbeSettings: Set<String> = ["binary", "step", "pings", "forks"]
    static let keptTargetSettings: Set<String> = ["host", "probe", "menu", "title", "lookup", "recordtype", "remark", "slaves", "alerts"]

    mutating func readProbes(_ section: SmokePingConfigDocument.Section, errors: inout [ConfigError]) {
        for module in section.children {
            guard SmokePingModules.all.contains(module.name) else {
                errors.append(ConfigError(module.location, "'\(module.name)' is not a SmokePing probe module"))
                continue
            }
            let template = probe(named: module.name, module: nil, from: module, base: nil, errors: &errors)
            if module.children.isEmpty {
                probes.append((template, module.location))
                continue
            }
            // With instances the module's own section is a template: only the instances are probes.
            for instance in module.children {
                guard SmokePingName.isValid(instance.name) else {
                    errors.append(ConfigError(instance.location, "probe name '\(instance.name)' must match [-_0-9a-zA-Z]+"))
                    continue
                }
                // An instance named as its module (`++ FPing` under `+ FPing`) is that module's probe.
                let instanceModule = instance.name == module.name ? nil : module.name
                probes.append((probe(named: instance.name, module: instanceModule, from: instance, base: template, errors: &errors), instance.location))
            }
        }
    }

    /// A probe from its section, over the template's values, SmokePing's Database and defaults.
    mutating func probe(
        named name: String, module: String?, from section: SmokePingConfigDocument.Section, base: ProbeRecord?, errors: inout [ConfigError]
    ) -> ProbeRecord {
        for setting in section.settings where !Self.keptProbeSettings.contains(setting.key) {
            notes.append(ConfigError(setting.location, "probe '\(name)': '\(setting.key)' is not kept"))
        }
        var record = base ?? ProbeRecord(name: name, stepSeconds: databaseStep ?? 300, pings: databasePings ?? 20, forks: 5)
        record.name = name
        record.module = module
        if let binary = section.value("binary") { record.binaryPath = binary }
        if let step = Self.integer(section.setting("step"), errors: &errors) { record.stepSeconds = step }
        if let pings = Self.integer(section.setting("pings"), errors: &errors) { record.pings = pings }
        if let forks = Self.integer(section.setting("forks"), errors: &errors) { record.forks = forks }
        return record
    }

    mutating func readTargets(_ section: SmokePingConfigDocument.Section, path: [String], inherited: Inherited, errors: inout [ConfigError]) {
        for child in section.children {
            guard SmokePingName.isValid(child.name) else {
                errors.append(ConfigError(child.location, "section name '\(child.name)' must match [-_0-9a-zA-Z]+ (SmokePing's rule)"))
                continue
            }
            var passed = inherited
            if let probe = child.value("probe") { passed.probe = probe }
            if let lookup = child.value("lookup") { passed.lookup = lookup }
            if let recordType = child.value("recordtype") { passed.recordType = recordType }
            if let slaves = child.value("slaves") { passed.slaves = slaves }
            if let alerts = Self.alertNames(child.value("alerts")) { passed.alerts = alerts }
            let childPath = path + [child.name]
            let place = childPath.joined(separator: "/")
            for setting in child.settings where !Self.keptTargetSettings.contains(setting.key) {
                notes.append(ConfigError(setting.location, "'\(place)': '\(setting.key)' is not kept"))
            }
            guard let host = child.value("host") else {
                let menu = child.value("menu")
                let record = CategoryRecord(
                    name: place, displayName: menu == child.name ? "" : menu ?? "",
                    description: child.value("title").map { $0 == (menu ?? child.name) ? "" : $0 } ?? ""
                )
                categories.append((record, child.location))
                readTargets(child, path: childPath, inherited: passed, errors: &errors)
                continue
            }
            if host.hasPrefix("/") {
                notes.append(ConfigError(child.location, "'\(place)': a multi-host graph (host = \(host)) is not a target; left out"))
                continue
            }
            if !child.children.isEmpty {
                errors.append(ConfigError(child.location, "'\(place)' has a host and subsections; a section is either a target or a category here"))
                continue
            }
            if passed.slaves != nil { notes.append(ConfigError(child.location, "'\(place)': slaves are not kept (the master's target is)")) }
            targets.append(Target(
                path: childPath, host: host, probe: passed.probe, title: child.value("title"), menu: child.value("menu"),
                lookup: passed.lookup, recordType: passed.recordType, slaves: passed.slaves, alerts: passed.alerts, location: child.location
            ))
        }
    }
}

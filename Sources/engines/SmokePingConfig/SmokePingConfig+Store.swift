import EventModel
public import PipelineConfig
public import TargetStore

extension SmokePingConfig {
    /// The records `targets import` writes: a target per host section (its category the
    /// section path above it), a category per section without a host, the probes. Values
    /// that only restate the generator's defaults are left empty (a title equal to the name, a
    /// probe equal to the default), so `render` then `storeRecords` gives the same store.
    /// Target names must be unique (the store's key): a name met twice is an error at both places.
    public func storeRecords() throws(ConfigErrors) -> (targets: [TargetRecord], categories: [CategoryRecord], probes: [ProbeRecord]) {
        var errors: [ConfigError] = []
        var seen: [String: SourceLocation] = [:]
        var records: [TargetRecord] = []
        for target in targets {
            if let first = seen[target.name] {
                errors.append(ConfigError(target.location, "target '\(target.name)' (\(target.sectionPath)) has the name of the target at \(first.file):\(first.line); names must be unique in the store"))
                continue
            }
            seen[target.name] = target.location
            if !TargetValidation.isValidHost(target.host) {
                errors.append(ConfigError(target.location, "target '\(target.name)': host '\(target.host)' is neither an IP address nor a valid host name"))
            }
            let recordType = target.recordType?.uppercased()
            if let recordType, !TargetValidation.dnsRecordTypes.contains(recordType) {
                errors.append(ConfigError(target.location, "target '\(target.name)': recordtype '\(recordType)' is not one of \(TargetValidation.dnsRecordTypes.joined(separator: ", "))"))
            }
            var alerts: String?
            if let names = target.alerts {
                do { alerts = try TargetValidation.normalizedAlerts(names.joined(separator: ",")) } catch {
                    errors.append(ConfigError(target.location, "target '\(target.name)': \(error)"))
                }
            }
            records.append(TargetRecord(
                name: target.name, host: target.host, title: target.title == target.name ? "" : target.title ?? "",
                category: target.category, probe: target.probe == defaultProbe ? nil : target.probe, lookup: target.lookup,
                record: recordType, alerts: alerts
            ))
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return (records, categories.map(\.record), probes.map(\.record))
    }
}

public import ProbeEngine
public import PipelineConfig
import TargetStore
import EventModel

/// Reads and checks target lists (inline `targets:` or a `targets_file`): each entry a mapping
/// with `name` and `host`, optional `path`, `category`, and for DNS `lookup` and `record`.
/// Problems are reported at the entry's line and column; names never repeat.
public struct TargetListReader: Sendable {
    public let kind: ProbeKind
    /// The probe's defaults for DNS targets that do not name their own.
    public let lookup: String?
    public let record: String?
    /// Entries naming another probe (`probe: FPing6` in a file shared by every probe kind, as
    /// `smokeflow serve` writes it) are left out; entries naming none are this source's.
    public let probeName: String?

    public init(kind: ProbeKind, lookup: String?, record: String?, probeName: String? = nil) {
        self.kind = kind
        self.lookup = lookup
        self.record = record
        self.probeName = probeName
    }

    /// A list, or a mapping whose `targets` key holds the list (the shape of a targets file).
    public func read(_ node: ConfigNode, errors: inout [ConfigError]) -> [ProbeTarget] {
        var list = node
        if let pairs = node.mapping {
            guard let entry = pairs.first(where: { $0.key.scalar == "targets" }) else {
                errors.append(ConfigError(node.location, "targets must be a list, or a mapping with a 'targets' list"))
                return []
            }
            list = entry.value
        }
        guard let items = list.sequence else {
            errors.append(ConfigError(list.location, "targets must be a list of mappings with 'name' and 'host'"))
            return []
        }
        var targets: [ProbeTarget] = []
        var names: Set<String> = []
        for item in items {
            guard let target = readTarget(item, errors: &errors) else { continue }
            if !names.insert(target.name).inserted {
                errors.append(ConfigError(item.location, "target '\(target.name)' is listed twice"))
                continue
            }
            targets.append(target)
        }
        return targets
    }

    private func readTarget(_ item: ConfigNode, errors: inout [ConfigError]) -> ProbeTarget? {
        guard let pairs = item.mapping else {
            errors.append(ConfigError(item.location, "a target must be a mapping with 'name' and 'host'"))
            return nil
        }
        var values: [String: (String, SourceLocation)] = [:]
        // The keys of `smokeflow targets export` are accepted too, so one targets.yaml serves
        // the probes, the join and `targets import`; only `active: false` matters here.
        let shared = Set(TargetRecord.columns + TargetRecord.managedColumns).union(["path"])
        let allowed = kind == .dns ? shared.union(["record"]) : shared
        for (key, value) in pairs {
            guard let name = key.scalar, allowed.contains(name) else {
                errors.append(ConfigError(key.location, "unknown target key '\(key.scalar ?? "?")'"))
                continue
            }
            guard let text = value.scalar else {
                errors.append(ConfigError(value.location, "target key '\(name)' must be a single value"))
                continue
            }
            // Empty is absent (`title: ""` as `targets export` and serve's store write it);
            // a target without name or host is reported below.
            if !text.isEmpty { values[name] = (text, value.location) }
        }
        if let active = values["active"]?.0.lowercased(), ["false", "no", "0", "f"].contains(active) { return nil }
        if let probeName, let probe = values["probe"]?.0, probe != probeName { return nil }
        guard let name = values["name"]?.0, let (host, hostLocation) = values["host"] else {
            errors.append(ConfigError(item.location, "a target needs 'name' and 'host'"))
            return nil
        }
        let before = errors.count
        if let problem = HostCheck.problem(host, kind: kind) {
            errors.append(ConfigError(hostLocation, "target '\(name)': \(problem)"))
        }
        if let (path, location) = values["path"], !HostCheck.isSmokePingPath(path) {
            errors.append(ConfigError(location, "target '\(name)': path must be Section/Sub/target of [-_0-9a-zA-Z]"))
        }
        let target = ProbeTarget(
            name: name, host: host, path: values["path"]?.0, category: values["category"]?.0,
            lookup: values["lookup"]?.0 ?? lookup, record: values["record"]?.0 ?? record)
        if kind == .dns {
            let record = target.record ?? "A"
            if DNSCodec.recordTypes[record.uppercased()] == nil {
                let names = DNSCodec.recordTypes.keys.sorted().joined(separator: ", ")
                errors.append(ConfigError(values["record"]?.1 ?? item.location, "target '\(name)': record must be one of: \(names)"))
            }
            if let lookup = target.lookup {
                if DNSCodec.question(name: lookup, type: 1) == nil {
                    errors.append(ConfigError(values["lookup"]?.1 ?? item.location, "target '\(name)': lookup is not a valid DNS name"))
                }
            } else {
                errors.append(ConfigError(item.location, "target '\(name)' needs 'lookup' (or the probe's 'lookup')"))
            }
        }
        return errors.count == before ? target : nil
    }
}

/// Checks a `host` before any round: an address of the probe's family, or a host name.
enum HostCheck {
    static func problem(_ host: String, kind: ProbeKind) -> String? {
        if let address = IPAddress(literal: host) {
            if kind == .icmp, address.family == .v6 { return "host is an IPv6 address; use kind: icmp6" }
            if kind == .icmp6, address.family == .v4 { return "host is an IPv4 address; use kind: icmp" }
            return nil
        }
        if host.contains(":") { return "host is not a valid IPv6 address" }
        if host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ $0.allSatisfy(\.isNumber) }) {
            return "host is not a valid IPv4 address"
        }
        return TargetValidation.isValidHost(host) ? nil : "host is not a valid address or host name"
    }

    static func isSmokePingPath(_ path: String) -> Bool {
        SmokePingName.isValidPath(path)
    }
}

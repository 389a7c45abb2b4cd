import EventModel
import SmokePingConfig
public import TargetStore

/// The rules every write follows in both store modes, the same as `targets import`:
/// SmokePing's name rule, an IP address or RFC 1123 host, a known category and probe, a
/// `lookup` for DNS targets, and no control characters in anything that ends up in
/// SmokePing's files (a newline in a title would start a new line of its configuration).
public struct StoreRules: Sendable {
    /// The category and probe names the store holds now.
    public var categories: Set<String>
    /// Probe name → its SmokePing module.
    public var probes: [String: String]

    public init(categories: Set<String>, probes: [String: String]) {
        self.categories = categories
        self.probes = probes
    }

    public static let maximumNameLength = 128
    public static let maximumTextLength = 1024

    public init(categories: Set<String>, probes: [ProbeRecord]) {
        self.init(categories: categories, probes: Dictionary(probes.map { ($0.name, $0.moduleName) }, uniquingKeysWith: { first, _ in first }))
    }

    public func problems(_ target: TargetRecord, defaultProbe: String?, index: Int) -> [StoreRejection.Problem] {
        var problems: [StoreRejection.Problem] = []
        func invalid(_ field: String, _ message: String) {
            problems.append(.init(index: index, kind: .invalid, field: field, message: message))
        }
        if target.name.isEmpty {
            invalid("name", "name is required")
        } else if target.name.utf8.count > Self.maximumNameLength || !TargetValidation.isValidName(target.name) {
            invalid("name", "name must be 1 to \(Self.maximumNameLength) characters of [-_0-9a-zA-Z] (SmokePing's rule)")
        }
        if target.host.isEmpty {
            invalid("host", "host is required")
        } else if target.host.utf8.count > 253 || !TargetValidation.isValidHost(target.host) {
            invalid("host", "host must be an IP address or a valid host name")
        }
        for (field, value) in [("title", target.title), ("site", target.site ?? ""), ("cachegroup", target.cachegroup ?? "")] {
            if let problem = Self.textProblem(value, limit: Self.maximumTextLength) { invalid(field, "\(field) \(problem)") }
        }
        if let category = target.category, !categories.contains(category) {
            invalid("category", "unknown category '\(Self.shown(category))'")
        }
        let probe = target.probe ?? defaultProbe
        if let probe = target.probe, probes[probe] == nil {
            invalid("probe", "unknown probe '\(Self.shown(probe))'")
        } else if probe == nil {
            invalid("probe", "no probe given and the store has no default probe")
        }
        // SmokePing takes `lookup` only where the module reads it (DNS, AnotherDNS), and needs it there.
        let takesLookup = probe.flatMap { probes[$0] }.map(SmokePingModules.takesLookup) ?? false
        if let lookup = target.lookup {
            if lookup.utf8.count > 253 || !TargetValidation.isValidHost(lookup) || IPLiteral.isValid(lookup) {
                invalid("lookup", "lookup must be a valid DNS name")
            } else if let probe, !takesLookup, probes[probe] != nil {
                invalid("lookup", "lookup is for DNS probes; the \(Self.shown(probe)) probe takes none")
            }
        } else if let probe, takesLookup {
            invalid("lookup", "a target of the \(Self.shown(probe)) probe needs lookup (the name to resolve)")
        }
        if let record = target.record {
            if !TargetValidation.dnsRecordTypes.contains(record) {
                invalid("record", "record must be one of \(TargetValidation.dnsRecordTypes.joined(separator: ", "))")
            } else if let probe, !takesLookup, probes[probe] != nil {
                invalid("record", "record is for DNS probes; the \(Self.shown(probe)) probe takes none")
            }
        }
        if let alerts = target.alerts {
            if alerts.utf8.count > Self.maximumTextLength {
                invalid("alerts", "alerts is longer than \(Self.maximumTextLength) bytes")
            } else {
                do {
                    if try TargetValidation.normalizedAlerts(alerts) != alerts {
                        invalid("alerts", "alerts must be rule names joined by commas (a,b) with no spaces; null for none")
                    }
                } catch {
                    invalid("alerts", error.description)
                }
            }
        }
        return problems
    }

    public static func problems(_ category: CategoryRecord, index: Int) -> [StoreRejection.Problem] {
        var problems: [StoreRejection.Problem] = []
        let parts = category.name.split(separator: "/", omittingEmptySubsequences: false)
        if category.name.isEmpty || category.name.utf8.count > maximumNameLength
            || !parts.allSatisfy({ TargetValidation.isValidName(String($0)) }) {
            problems.append(.init(
                index: index, kind: .invalid, field: "name",
                message: "name must be 1 to \(maximumNameLength) characters of [-_0-9a-zA-Z], '/' between section levels"
            ))
        }
        for (field, value) in [("display_name", category.displayName), ("description", category.description)] {
            if let problem = textProblem(value, limit: maximumTextLength) {
                problems.append(.init(index: index, kind: .invalid, field: field, message: "\(field) \(problem)"))
            }
        }
        return problems
    }

    public static func problems(_ probe: ProbeRecord, index: Int) -> [StoreRejection.Problem] {
        var problems: [StoreRejection.Problem] = []
        func invalid(_ field: String, _ message: String) {
            problems.append(.init(index: index, kind: .invalid, field: field, message: message))
        }
        if probe.name.isEmpty || probe.name.utf8.count > maximumNameLength || !TargetValidation.isValidName(probe.name) {
            invalid("name", "name must be 1 to \(maximumNameLength) characters of [-_0-9a-zA-Z] (a SmokePing probe)")
        } else if !SmokePingModules.all.contains(probe.moduleName) {
            invalid(probe.module == nil ? "name" : "module", probe.module == nil
                ? "'\(shown(probe.name))' is not a SmokePing probe module (FPing, FPing6, DNS, …); name one in module for an instance"
                : "module '\(shown(probe.moduleName))' is not a SmokePing probe module (FPing, FPing6, DNS, …)")
        } else if probe.module != nil, SmokePingModules.all.contains(probe.name), probe.name != probe.module {
            invalid("name", "an instance cannot take the name of another module (\(probe.name))")
        }
        if probe.binaryPath == nil, SmokePingModules.needsBinary(probe.moduleName) {
            invalid("binary_path", "the \(shown(probe.moduleName)) module needs binary_path (the path of its program)")
        }
        if let binary = probe.binaryPath, !binary.hasPrefix("/") || textProblem(binary, limit: 4096) != nil || binary.contains(" ") {
            invalid("binary_path", "binary_path must be an absolute path without spaces")
        }
        if !(1...86_400).contains(probe.stepSeconds) { invalid("step_seconds", "step_seconds must be 1 to 86400") }
        if !(3...1000).contains(probe.pings) { invalid("pings", "pings must be 3 to 1000 (SmokePing needs at least 3)") }
        if !(1...1000).contains(probe.forks) { invalid("forks", "forks must be 1 to 1000") }
        return problems
    }

    /// Why free text cannot be stored, or nil.
    static func textProblem(_ text: String, limit: Int) -> String? {
        if text.utf8.count > limit { return "must be at most \(limit) bytes" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters (newlines, tabs, …)"
        }
        return nil
    }

    /// A value quoted back in an error: short, without control characters.
    static func shown(_ value: String) -> String {
        let clean = String(value.unicodeScalars.filter { $0.properties.generalCategory != .control }.map(Character.init))
        return clean.count > 64 ? String(clean.prefix(64)) + "…" : clean
    }
}

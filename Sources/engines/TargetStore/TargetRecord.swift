import EventModel
import Foundation

/// A target as the configuration store keeps it, with its category and probe by name.
public struct TargetRecord: Sendable, Equatable, Codable {
    public var name: String
    public var host: String
    public var title: String
    public var isActive: Bool
    public var category: String?
    public var probe: String?
    public var site: String?
    public var cachegroup: String?
    /// The name a DNS target's probe asks for (SmokePing's `lookup`); nil for other probes.
    public var lookup: String?
    /// The record type a DNS target's probe asks for (`A`, `AAAA`, `MX`…; SmokePing's
    /// `AnotherDNS` `recordtype`); nil for other probes and for the probe's default.
    public var record: String?
    /// The alert rules checked for this target, comma-separated (SmokePing's `alerts =
    /// someloss,bigrtt`): names of the `alert` transform's rules; nil for none.
    public var alerts: String?

    public init(
        name: String, host: String, title: String = "", isActive: Bool = true, category: String? = nil,
        probe: String? = nil, site: String? = nil, cachegroup: String? = nil, lookup: String? = nil,
        record: String? = nil, alerts: String? = nil
    ) {
        self.name = name
        self.host = host
        self.title = title
        self.isActive = isActive
        self.category = category
        self.probe = probe
        self.site = site
        self.cachegroup = cachegroup
        self.lookup = lookup
        self.record = record
        self.alerts = alerts
    }

    /// The columns of the YAML and CSV formats, in export order.
    public static let columns = ["name", "host", "title", "active", "category", "probe", "site", "cachegroup", "lookup", "record", "alerts"]
    /// Keys the probe source reads from the same file; accepted here, not stored in the database.
    public static let probeOnlyColumns = ["path"]
    /// Keys `smokeflow serve` keeps in a file-mode store; accepted by every reader, not imported.
    public static let managedColumns = ["id", "created_at", "updated_at"]
}

/// A category of targets: SmokePing's `+` section (name), its menu (display name) and title
/// (description). A name with `/` parts is a deeper section path (`+ a`, `++ b`).
public struct CategoryRecord: Sendable, Equatable, Codable {
    public var name: String
    public var displayName: String
    public var description: String

    public init(name: String, displayName: String = "", description: String = "") {
        self.name = name
        self.displayName = displayName
        self.description = description
    }
}

/// A SmokePing probe (`+ FPing` in the Probes file): the module name and its settings.
public struct ProbeRecord: Sendable, Equatable, Codable {
    public var name: String
    public var binaryPath: String?
    public var stepSeconds: Int
    public var pings: Int
    public var forks: Int
    /// The probe of targets that name none (`probe =` at the top of Targets).
    public var isDefault: Bool
    /// The SmokePing module of a probe instance whose name is not a module (`FPingSlow` of
    /// `FPing`, written `+ FPing` / `++ FPingSlow`); nil when the name is the module.
    public var module: String?

    public init(
        name: String, binaryPath: String? = nil, stepSeconds: Int = 300, pings: Int = 20, forks: Int = 5, isDefault: Bool = false,
        module: String? = nil
    ) {
        self.name = name
        self.binaryPath = binaryPath
        self.stepSeconds = stepSeconds
        self.pings = pings
        self.forks = forks
        self.isDefault = isDefault
        self.module = module
    }

    /// The SmokePing module this probe runs.
    public var moduleName: String { module ?? name }
}

/// Checks a target's name and host the way SmokePing and the probes need them.
public enum TargetValidation {
    /// The DNS record types a target may ask for: migration 7's CHECK and the probe's
    /// `DNSCodec.recordTypes` hold the same list.
    public static let dnsRecordTypes = ["A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "ANY"]

    /// An `alerts` value as stored: the names SmokePing's `split /\s*,\s*/` gives, joined by
    /// commas; nil for none (an empty value, SmokePing's way to drop inherited alerts). Throws
    /// the first name that is not an alert name: SmokePing's `[^\s,]+`, control characters
    /// refused too.
    public static func normalizedAlerts(_ text: String) throws(InvalidAlertName) -> String? {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if names.allSatisfy(\.isEmpty) { return nil }
        for name in names where !isAlertName(name) { throw InvalidAlertName(name: name) }
        return names.joined(separator: ",")
    }

    /// What a form or CSV cell hands the store: `normalizedAlerts`, or the text as given when it
    /// does not normalize, so the store's rule is the one that names the problem.
    public static func normalizedAlertsOrAsGiven(_ text: String) -> String? {
        do { return try normalizedAlerts(text) } catch { return text }
    }

    static func isAlertName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains(where: \.isWhitespace)
            && name.unicodeScalars.allSatisfy { $0.value > 0x20 && !(0x7f...0x9f).contains($0.value) && $0 != "," }
    }

    public struct InvalidAlertName: Error, Sendable, CustomStringConvertible {
        public var name: String
        public var description: String {
            name.isEmpty ? "alerts has an empty name (a comma too many)" : "alerts: '\(name.unicodeScalars.map { $0.value < 0x20 ? "?" : String($0) }.joined())' is not an alert name (no spaces, commas or control characters)"
        }
    }

    /// SmokePing section and target names: `[-_0-9a-zA-Z]+`.
    public static func isValidName(_ name: String) -> Bool { SmokePingName.isValid(name) }

    /// An IPv4 or IPv6 address, or a DNS host name (RFC 1123 labels).
    public static func isValidHost(_ host: String) -> Bool {
        if IPLiteral.isValid(host) { return true }
        // All-numeric dotted text that is not a valid IPv4 address (300.1.1.1) is a typo.
        if host.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }) { return false }
        var name = Substring(host)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            // Host labels take the same characters as SmokePing names (`_` is common in practice).
            return SmokePingName.isValid(label)
        }
    }
}

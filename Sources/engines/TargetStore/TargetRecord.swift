import EventModel

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

    public init(
        name: String, host: String, title: String = "", isActive: Bool = true, category: String? = nil,
        probe: String? = nil, site: String? = nil, cachegroup: String? = nil
    ) {
        self.name = name
        self.host = host
        self.title = title
        self.isActive = isActive
        self.category = category
        self.probe = probe
        self.site = site
        self.cachegroup = cachegroup
    }

    /// The columns of the YAML and CSV formats, in export order.
    public static let columns = ["name", "host", "title", "active", "category", "probe", "site", "cachegroup"]
    /// Keys the probe source reads from the same file; accepted here, not stored in the database.
    public static let probeOnlyColumns = ["path", "lookup", "record"]
}

/// Checks a target's name and host the way SmokePing and the probes need them.
public enum TargetValidation {
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

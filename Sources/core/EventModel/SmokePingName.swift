/// SmokePing's rule for section and target names, `[-_0-9a-zA-Z]+`, which also keeps a name
/// safe as a file name. One rule for the RRD sink, the probes and the configuration store.
public enum SmokePingName {
    public static func isValid(_ name: some StringProtocol) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isNameByte)
    }

    /// `Section/Sub/target`, every part a valid name; `allowingSlave` also accepts `~`, as in
    /// a slave's `target~slave`.
    public static func isValidPath(_ path: String, allowingSlave: Bool = false) -> Bool {
        path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { isNameByte($0) || (allowingSlave && $0 == UInt8(ascii: "~")) }
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}

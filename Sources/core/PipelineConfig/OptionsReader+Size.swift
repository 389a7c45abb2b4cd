extension OptionsReader {
    /// A size in bytes: `2GiB`, `512MiB`, `64KiB`, `100MB`, `1GB`, `4096B` or a bare number of
    /// bytes. Records an error and returns `fallback` when it is not one or is outside `range`.
    public mutating func byteSize(_ key: String, default fallback: Int64, range: ClosedRange<Int64>) -> Int64 {
        guard let node = node(key) else { return fallback }
        guard let text = node.scalar, let value = Self.parseByteSize(text) else {
            fail(node.location, "option '\(key)' must be a size such as 512MiB, 2GiB or 1GB")
            return fallback
        }
        guard range.contains(value) else {
            fail(node.location, "option '\(key)' must be between \(Self.formatByteSize(range.lowerBound)) and \(Self.formatByteSize(range.upperBound))")
            return fallback
        }
        return value
    }

    static let sizeUnits: [(suffix: String, bytes: Int64)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1),
    ]

    /// Whole numbers of a unit only (no `1.5GiB`), so the value is exact; nil on overflow.
    public static func parseByteSize(_ text: String) -> Int64? {
        for (suffix, bytes) in sizeUnits where text.hasSuffix(suffix) {
            guard let number = Int64(text.dropLast(suffix.count)), number >= 0 else { return nil }
            let (product, overflow) = number.multipliedReportingOverflow(by: bytes)
            return overflow ? nil : product
        }
        guard let number = Int64(text), number >= 0 else { return nil }
        return number
    }

    /// The largest binary unit that divides `bytes` exactly: 2147483648 → "2GiB".
    public static func formatByteSize(_ bytes: Int64) -> String {
        for (suffix, unit) in [("TiB", Int64(1) << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= unit && bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return "\(bytes)B"
    }
}

import Foundation

/// Writes targets as YAML or CSV that `TargetFile` reads back to the same records.
public enum TargetExport {
    public static func render(_ records: [TargetRecord], as format: TargetFile.Format) -> String {
        switch format {
        case .yaml: yaml(records)
        case .csv: csv(records)
        }
    }

    static func values(_ record: TargetRecord) -> [String?] {
        [record.name, record.host, record.title, record.isActive ? "true" : "false", record.category, record.probe, record.site, record.cachegroup, record.lookup, record.record, record.alerts]
    }

    static func yaml(_ records: [TargetRecord]) -> String {
        guard !records.isEmpty else { return "targets: []\n" }
        var text = "targets:\n"
        for record in records {
            for (index, (column, value)) in zip(TargetRecord.columns, values(record)).enumerated() {
                guard let value else { continue }
                text += (index == 0 ? "  - " : "    ") + column + ": "
                text += column == "active" ? value : yamlQuoted(value)
                text += "\n"
            }
        }
        return text
    }

    /// A YAML double-quoted scalar (control characters escaped, the rest as is). `$` is written
    /// `$$`, which the readers' `${VAR}` interpolation turns back into one `$`. Written by hand:
    /// a store file of 10,000 targets quotes 50,000 values per write.
    public static func yamlQuoted(_ value: String) -> String {
        var quoted = "\""
        quoted.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "$": quoted += "$$"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            default:
                if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) {
                    let hex = String(scalar.value, radix: 16)
                    quoted += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }

    static func csv(_ records: [TargetRecord]) -> String {
        var text = TargetRecord.columns.joined(separator: ",") + "\n"
        for record in records {
            text += values(record).map { csvField($0 ?? "") }.joined(separator: ",") + "\n"
        }
        return text
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || value.hasPrefix(" ") else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

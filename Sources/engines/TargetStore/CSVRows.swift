import Foundation
import PipelineConfig

/// RFC 4180 CSV with a header row naming the columns; quoted fields may hold commas, quotes
/// (doubled) and newlines. Each row keeps the line it starts on.
enum CSVRows {
    static func read(_ text: String, file: String, errors: inout [ConfigError]) -> [(fields: [String: (String, SourceLocation)], location: SourceLocation)] {
        let records = split(text, file: file, errors: &errors)
        guard let header = records.first else {
            errors.append(ConfigError(SourceLocation(file: file, line: 1, column: 1), "empty file: expected a header row (name,host,…)"))
            return []
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var rows: [(fields: [String: (String, SourceLocation)], location: SourceLocation)] = []
        for record in records.dropFirst() {
            if record.fields.count == 1, record.fields[0].isEmpty { continue }
            guard record.fields.count == columns.count else {
                errors.append(ConfigError(record.location, "row has \(record.fields.count) fields, the header has \(columns.count)"))
                continue
            }
            var fields: [String: (String, SourceLocation)] = [:]
            for (column, value) in zip(columns, record.fields) { fields[column] = (value, record.location) }
            rows.append((fields, record.location))
        }
        return rows
    }

    static func split(_ text: String, file: String, errors: inout [ConfigError]) -> [(fields: [String], location: SourceLocation)] {
        var records: [(fields: [String], location: SourceLocation)] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var quoted = false
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var index = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") && field.isEmpty {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                endField()
            } else if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if byte == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
                endField()
                records.append((fields, SourceLocation(file: file, line: recordLine, column: 1)))
                fields = []
                line += 1
                recordLine = line
            } else {
                field.append(byte)
            }
            index += 1
        }
        if quoted {
            errors.append(ConfigError(SourceLocation(file: file, line: recordLine, column: 1), "a quoted field is never closed"))
        }
        if !field.isEmpty || !fields.isEmpty {
            endField()
            records.append((fields, SourceLocation(file: file, line: recordLine, column: 1)))
        }
        return records
    }
}

/// The same RFC 4180 reading and writing for callers with their own header rules (the web
/// admin's CSV import and export), without `ConfigError`s.
public enum CSVRecords {
    public struct Record: Sendable, Equatable {
        public var fields: [String]
        /// The line the record starts on (1-based; a quoted newline makes a record span lines).
        public var line: Int
    }

    /// The records of `text` (a UTF-8 BOM dropped, LF or CRLF), and the line of a quoted field
    /// that is never closed, if there is one.
    public static func split(_ text: String) -> (records: [Record], unclosedQuoteLine: Int?) {
        var errors: [ConfigError] = []
        let records = CSVRows.split(text, file: "", errors: &errors).map { Record(fields: $0.fields, line: $0.location.line) }
        return (records, errors.first?.location.line)
    }

    /// `value` as one field: quoted (quotes doubled) when it holds a comma, quote or line break.
    public static func field(_ value: String) -> String { TargetExport.csvField(value) }
}

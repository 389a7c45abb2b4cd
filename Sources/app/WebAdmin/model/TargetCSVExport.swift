public import ConfigManager
import TargetStore

/// The targets page's CSV: one column per target field, in the order of the page's table.
/// smoking-pi's export (client-side, `name,host,title,category,probe,active`) gains the fields
/// it did not have, so an export imports back (`TargetCSVImport`) to the same targets.
public enum TargetCSV {
    public static let columns = ["name", "host", "title", "category", "probe", "active", "site", "cachegroup", "lookup", "record", "alerts"]

    /// RFC 4180: CRLF line ends, fields quoted where needed. A text cell starting with `=`, `+`,
    /// `-` or `@` gets a leading `'` so a spreadsheet shows it instead of running it as a
    /// formula (CSV injection: a title `=HYPERLINK(…)` is anyone's to set through the API).
    public static func export(_ targets: [StoredTarget]) -> String {
        var text = columns.joined(separator: ",") + "\r\n"
        for target in targets {
            let record = target.record
            let cells = [
                record.name, record.host, record.title, record.category ?? "", record.probe ?? "", record.isActive ? "true" : "false",
                record.site ?? "", record.cachegroup ?? "", record.lookup ?? "", record.record ?? "", record.alerts ?? "",
            ]
            text += cells.map { CSVRecords.field(FormulaGuard.guarded($0)) }.joined(separator: ",") + "\r\n"
        }
        return text
    }
}

/// The `'` that keeps a spreadsheet from running a cell, added on export and taken off on
/// import. A cell that already starts with quotes before a formula character gets one more, so
/// the two are exact inverses: `=x` ↔ `'=x`, `'=x` ↔ `''=x`, and `'plain` is left alone both ways.
enum FormulaGuard {
    static let formulaStarts: Set<Character> = ["=", "+", "-", "@"]

    static func guarded(_ cell: String) -> String {
        needsGuard(cell[...]) ? "'" + cell : cell
    }

    static func unguarded(_ cell: String) -> String {
        cell.first == "'" && needsGuard(cell.dropFirst()) ? String(cell.dropFirst()) : cell
    }

    /// Quotes, then a formula character.
    private static func needsGuard(_ cell: Substring) -> Bool {
        guard let first = cell.first(where: { $0 != "'" }) else { return false }
        return formulaStarts.contains(first)
    }
}

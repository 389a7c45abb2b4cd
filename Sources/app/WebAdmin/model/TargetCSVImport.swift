public import ConfigManager
public import TargetStore

/// One thing wrong in an imported file, on the line its record starts.
public struct CSVProblem: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    /// The column at fault, when there is one.
    public var field: String?
    public var message: String

    public init(line: Int, field: String? = nil, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String { "line \(line): " + (field.map { "\($0): " } ?? "") + message }
}

/// Every problem of a file: nothing of it is written.
public struct CSVRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [CSVProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// What importing a file will write, as one all-or-nothing list for `ConfigStore.apply`.
public struct TargetImportPlan: Sendable, Equatable {
    public var operations: [StoreOperation]
    /// The line of the record each operation came from (what a `StoreRejection` index maps to).
    public var lines: [Int]
    public var created: Int
    public var updated: Int

    /// A store's refusal (a race with another writer, say) in the file's terms.
    public func problems(from rejection: StoreRejection) -> [CSVProblem] {
        rejection.problems.map { problem in
            CSVProblem(line: lines.indices.contains(problem.index) ? lines[problem.index] : 1, field: problem.field, message: problem.message)
        }
    }
}

extension TargetCSV {
    /// Reads a file in the export's format into the writes it asks for: a row whose name is a
    /// target's updates that target (in place: its id, and so its graphs, stay), any other row
    /// creates one. Nothing is deleted. A column left out of the header keeps each updated
    /// target's value (and a created one's default); an empty cell clears an optional field.
    /// Rows are checked with the store's own rules (`StoreRules`: SmokePing's name rule, hosts,
    /// known categories and probes, `lookup` for DNS), so what passes here the store takes.
    /// Throws every problem of every row, not just the first.
    public static func plan(_ text: String, existing: [StoredTarget], catalog: StoreSnapshot) throws(CSVRejection) -> TargetImportPlan {
        var problems: [CSVProblem] = []
        let (records, unclosedQuoteLine) = CSVRecords.split(text)
        if let line = unclosedQuoteLine { problems.append(CSVProblem(line: line, message: "a quoted field is never closed")) }
        guard let header = records.first else {
            throw CSVRejection(problems: problems + [CSVProblem(line: 1, message: "empty file: expected a header row (\(columns.joined(separator: ",")))")])
        }
        guard let header = ImportHeader(header, problems: &problems) else { throw CSVRejection(problems: problems) }
        let rules = StoreRules(categories: Set(catalog.categories.map(\.record.name)), probes: catalog.probes.map(\.record))
        let defaultProbe = catalog.defaultProbe?.record.name
        let byName = Dictionary(existing.map { ($0.record.name, $0) }, uniquingKeysWith: { first, _ in first })
        var plan = TargetImportPlan(operations: [], lines: [], created: 0, updated: 0)
        var firstLineOfName: [String: Int] = [:]
        for record in records.dropFirst() where record.fields != [""] {
            guard record.fields.count == header.columns.count else {
                problems.append(CSVProblem(line: record.line, message: "row has \(record.fields.count) fields, the header has \(header.columns.count)"))
                continue
            }
            var rowProblems: [CSVProblem] = []
            let fields = header.fields(of: record, problems: &rowProblems)
            let name = fields.name ?? ""
            if !name.isEmpty, let first = firstLineOfName[name] {
                rowProblems.append(CSVProblem(line: record.line, field: "name", message: "'\(name)' is also on line \(first); a name may appear once"))
            } else if !name.isEmpty {
                firstLineOfName[name] = record.line
            }
            let current = byName[name]
            var checked = current.map { fields.applied(to: $0.record) } ?? fields.newRecord
            if current == nil, fields.title == nil || checked.title.isEmpty { checked.title = name }
            let index = plan.operations.count
            rowProblems += rules.problems(checked, defaultProbe: defaultProbe, index: index).map {
                CSVProblem(line: record.line, field: $0.field, message: $0.message)
            }
            problems += rowProblems
            guard rowProblems.isEmpty else { continue }
            if let current {
                plan.operations.append(.updateTarget(id: current.id, fields))
                plan.updated += 1
            } else {
                var created = fields
                created.title = checked.title
                plan.operations.append(.createTarget(created))
                plan.created += 1
            }
            plan.lines.append(record.line)
        }
        if !problems.isEmpty { throw CSVRejection(problems: problems.sorted { $0.line < $1.line }) }
        return plan
    }
}

/// The header row: which column is which target field.
struct ImportHeader {
    var columns: [String]

    init?(_ record: CSVRecords.Record, problems: inout [CSVProblem]) {
        columns = record.fields.map { $0.trimmingASCIISpaces() }
        let before = problems.count
        var seen: Set<String> = []
        for column in columns {
            if !TargetCSV.columns.contains(column) {
                problems.append(CSVProblem(line: record.line, field: column, message: "unknown column '\(column)' (expected \(TargetCSV.columns.joined(separator: ", ")))"))
            } else if !seen.insert(column).inserted {
                problems.append(CSVProblem(line: record.line, field: column, message: "column '\(column)' is named twice"))
            }
        }
        for required in ["name", "host"] where !columns.contains(required) {
            problems.append(CSVProblem(line: record.line, field: required, message: "the header has no '\(required)' column (a header row is required)"))
        }
        if problems.count > before { return nil }
    }

    /// The row as the fields it gives: only the header's columns are given.
    func fields(of record: CSVRecords.Record, problems: inout [CSVProblem]) -> TargetFields {
        var fields = TargetFields()
        for (column, raw) in zip(columns, record.fields) {
            let value = FormulaGuard.unguarded(raw)
            let optional: String? = value.isEmpty ? nil : value
            switch column {
            case "name": fields.name = value
            case "host": fields.host = value
            case "title": fields.title = value
            case "category": fields.category = .some(optional)
            case "probe": fields.probe = .some(optional)
            case "site": fields.site = .some(optional)
            case "cachegroup": fields.cachegroup = .some(optional)
            case "lookup": fields.lookup = .some(optional)
            case "record": fields.record = .some(optional)
            // `a, b` as SmokePing writes it.
            case "alerts": fields.alerts = .some(TargetValidation.normalizedAlertsOrAsGiven(value))
            case "active":
                switch value.lowercased() {
                case "": break
                case "true", "yes", "1", "t": fields.isActive = true
                case "false", "no", "0", "f": fields.isActive = false
                default: problems.append(CSVProblem(line: record.line, field: "active", message: "active must be true or false, not '\(value)'"))
                }
            default: break
            }
        }
        return fields
    }
}

extension String {
    func trimmingASCIISpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

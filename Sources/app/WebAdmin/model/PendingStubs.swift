// TEMPORARY: stand-ins for the model helper's types, replaced at merge.
import ConfigManager
import TargetStore

enum TargetCSV {
    struct Problem: CustomStringConvertible { var description: String }
    struct Row { var line: Int; var record: TargetRecord; var updates: Bool }
    struct Plan { var rows: [Row]; var operations: [StoreOperation]; var lines: [Int] }
    enum Outcome { case success(Plan), failure([Problem]) }
    static func export(_ targets: [StoredTarget]) -> String { "" }
    static func importPlan(_ text: String, snapshot: StoreSnapshot) -> Outcome { .failure([]) }
}
enum TargetNaming {
    static func derive(fromHost host: String) -> String { host }
    static func unique(_ name: String, taken: Set<String>) -> String { name }
}
struct HostCheck {
    var isValid: Bool
    var summary: String
    static func check(_ host: String) async -> HostCheck { HostCheck(isValid: true, summary: "") }
}
enum ProbeChoice {
    static func icmpProbe(for check: HostCheck, probes: [ProbeRecord]) -> String? { nil }
}
enum SiteList {
    static func read(_ bytes: [UInt8], fileName: String) throws -> [String] { [] }
}
enum SiteMerge {
    struct Plan { var created: [TargetRecord]; var kept: [(domain: String, target: StoredTarget)] }
    static func plan(_ domains: [String], into category: String, existing: [StoredTarget], probe: String?) -> Plan { Plan(created: [], kept: []) }
}

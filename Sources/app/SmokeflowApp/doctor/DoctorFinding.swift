/// One line of `smokeflow doctor`: a check, what it found, and how to fix a problem.
public struct DoctorFinding: Sendable, Equatable {
    public enum Status: String, Sendable {
        case ok
        case problem
        /// Not configured here (no pipeline names an InfluxDB, say), or skipped with `--skip`.
        case skip
    }

    public var status: Status
    public var check: String
    public var detail: String
    public var fix: String?

    public init(_ status: Status, _ check: String, _ detail: String, fix: String? = nil) {
        self.status = status
        self.check = check
        self.detail = detail
        self.fix = fix
    }

    public static func ok(_ check: String, _ detail: String) -> DoctorFinding { DoctorFinding(.ok, check, detail) }
    public static func problem(_ check: String, _ detail: String, fix: String) -> DoctorFinding { DoctorFinding(.problem, check, detail, fix: fix) }
    public static func skip(_ check: String, _ detail: String) -> DoctorFinding { DoctorFinding(.skip, check, detail) }

    /// `problem  state-dir: /var/lib/smokeflow is not writable (EACCES); fix: chown smokeflow …`
    public var line: String {
        let head = status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + check + ": " + detail
        return fix.map { head + "; fix: " + $0 } ?? head
    }
}

extension [DoctorFinding] {
    /// `doctor: 7 ok, 1 problem, 2 skipped`
    public var summary: String {
        let problems = filter { $0.status == .problem }.count
        let ok = filter { $0.status == .ok }.count
        let skipped = filter { $0.status == .skip }.count
        return "doctor: \(ok) ok, \(problems) problem\(problems == 1 ? "" : "s"), \(skipped) skipped"
    }

    public var passed: Bool { !contains { $0.status == .problem } }
}

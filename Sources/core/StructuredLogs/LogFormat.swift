#if canImport(Glibc)
import Glibc
#endif

/// How a log line is written: `text` for a person at a terminal, `logfmt` (`key=value`) and
/// `json` (one object a line) for a collector. Every format carries the same fields: `time`,
/// `level`, `component_id`, `message`, then the metadata by key.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, logfmt, json

    /// text when standard error is a terminal, logfmt otherwise (a pipe, a file, journald).
    public static var standardErrorDefault: LogFormat { isatty(2) == 1 ? .text : .logfmt }
}

/// The metadata keys every smokeflow line is read by; the metrics' label has the same name.
public enum LogKey {
    /// The stage id on a stage's lines (`Pipeline` sets it), else the logger's label
    /// (`smokeflow` for the process's own lines).
    public static let componentID = "component_id"
    /// On a summary line: the last of the lines it stands for.
    public static let repeatedMessage = "repeated_message"

    /// Keys whose value is never printed, whatever it is: a credential logged by name.
    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretWords.contains { lowered.contains($0) }
    }

    static let secretWords = ["password", "secret", "token", "authorization", "cookie", "credential"]
}

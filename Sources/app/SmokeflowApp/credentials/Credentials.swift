import EventModel
public import Foundation
import PasswordHash
import PipelineConfig

/// `smokeflow init`: the credentials every part of the stack needs, in one env file.
///
/// Secrets come from the OS CSPRNG (`SystemRandomNumberGenerator`: getrandom), 256 bits each,
/// base64url without padding. The file is written as a temporary file created 0600, fsynced and
/// renamed (so it is never readable by others, not even while being written). A value already
/// in the file is never replaced, except the one `--rotate` names, after a 0600 backup. Secrets
/// are never printed: reports name them only.
public enum Credentials {
    /// Generated secrets, in the order they are written.
    public static let secretNames = ["INFLUX_TOKEN", "INFLUX_PASSWORD", "POSTGRES_PASSWORD", "SECRET_KEY", "API_TOKEN", "WEB_ADMIN_PASSWORD"]
    /// Every name `init` writes.
    public static let names = ["TZ", "WEB_ADMIN_USERNAME"] + secretNames + [passwordHashName]
    public static let passwordHashName = "WEB_ADMIN_PASSWORD_HASH"

    public struct Report: Sendable, Equatable {
        public var created = false
        public var added: [String] = []
        public var kept: [String] = []
        public var rotated: String?
        public var backup: String?
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// 256 random bits, URL-safe.
    public static func secret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Creates `path` or adds what it lacks; with `rotate`, replaces that one value. Blocks
    /// (file I/O and a bcrypt hash): run it off the cooperative pool.
    public static func initialize(path: String, timeZone: String, rotate: String? = nil, now: Date = Date()) throws -> Report {
        var report = Report()
        var text = ""
        var values: [String: String] = [:]
        if FileManager.default.fileExists(atPath: path) {
            text = try EnvironmentFile.readPrivate(path)
            values = try EnvironmentFile.parse(text, file: path)
        } else {
            report.created = true
        }
        if let rotate {
            guard secretNames.contains(rotate) else {
                throw Failure(description: "\(path): --rotate takes one of \(secretNames.joined(separator: ", ")); \(rotate) is not a generated secret")
            }
            guard values[rotate] != nil else { throw Failure(description: "\(path): has no \(rotate) to rotate; run smokeflow init to add it") }
            let backup = path + ".bak-" + Self.stamp(now)
            try DurableFile.replace(backup, with: Array(text.utf8), mode: 0o600)
            report.backup = backup
            report.rotated = rotate
            var replaced = [rotate: secret()]
            if rotate == "WEB_ADMIN_PASSWORD" { replaced[passwordHashName] = try hashLine(replaced[rotate]!) }
            text = Self.replacing(replaced, in: text)
            values.merge(replaced) { $1 }
        }
        var additions: [(String, String)] = []
        for name in names where values[name] == nil {
            let value: String
            switch name {
            case "TZ": value = timeZone
            case "WEB_ADMIN_USERNAME": value = "admin"
            case passwordHashName:
                guard let password = values["WEB_ADMIN_PASSWORD"] ?? additions.first(where: { $0.0 == "WEB_ADMIN_PASSWORD" })?.1 else { continue }
                value = try hashLine(password)
            default: value = secret()
            }
            additions.append((name, value))
            report.added.append(name)
        }
        report.kept = names.filter { values[$0] != nil && $0 != report.rotated && !(report.rotated == "WEB_ADMIN_PASSWORD" && $0 == passwordHashName) }
        guard !additions.isEmpty || report.rotated != nil else { return report }
        if report.created { text = "# smokeflow credentials (smokeflow init). Keep this file 0600; never commit it.\n" }
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        for (name, value) in additions { text += "\(name)=\(value)\n" }
        try DurableFile.replace(path, with: Array(text.utf8), mode: 0o600)
        return report
    }

    /// `initialize` with the host's time zone, on a thread of its own (it blocks).
    public static func initializeOnOwnThread(path: String, rotate: String?) async throws -> Report {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try initialize(path: path, timeZone: TimeZoneDetection.detect(), rotate: rotate) })
            }.start()
        }
    }

    /// One value, for `--show NAME`.
    public static func show(_ name: String, path: String) throws -> String {
        let values = try EnvironmentFile.parse(try EnvironmentFile.readPrivate(path), file: path)
        guard let value = values[name] else { throw Failure(description: "\(path): has no \(name)") }
        return value
    }

    /// The hash in single quotes: `$` would otherwise be interpolated by docker compose.
    static func hashLine(_ password: String) throws -> String {
        "'" + (try PasswordHash.bcrypt(password)) + "'"
    }

    /// `text` with each `NAME=` line of `replacements` given its new value; other lines as they were.
    static func replacing(_ replacements: [String: String], in text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        for (index, line) in lines.enumerated() {
            var body = Substring(line)
            while body.first == " " || body.first == "\t" { body = body.dropFirst() }
            let exported = body.hasPrefix("export ")
            if exported { body = body.dropFirst(7) }
            guard let equals = body.firstIndex(of: "=") else { continue }
            let name = body[..<equals].trimmingCharacters(in: .whitespaces)
            if let value = replacements[name] { lines[index] = (exported ? "export " : "") + "\(name)=\(value)" }
        }
        return lines.joined(separator: "\n")
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }
}

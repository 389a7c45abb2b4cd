import Foundation
import Alerting
import PipelineConfig

/// One destination of notifications (`notify:` list).
protocol AlertNotifier: Sendable {
    var name: String { get }
    /// Sends one notification; throws a failure that says whether retrying can help.
    func deliver(_ notification: AlertNotification) async throws(NotificationFailure)
}

/// Why a delivery failed, in words that hold no URL, header or secret.
struct NotificationFailure: Error, Sendable, CustomStringConvertible {
    var message: String
    /// False for an answer retrying cannot change (an HTTP 3xx or 4xx other than 408 and 429).
    var retryable: Bool
    var description: String { message }
}

/// A notifier as the file gives it.
struct NotifierConfiguration: Sendable {
    enum Kind: Sendable {
        case webhook(url: Secret, headers: [(String, Secret)])
        case exec(command: [String])
    }

    var name: String
    var timeout: Duration
    var kind: Kind

    func build() -> any AlertNotifier {
        switch kind {
        case .webhook(let url, let headers): WebhookNotifier(name: name, url: url, headers: headers, timeout: timeout)
        case .exec(let command): ExecNotifier(name: name, command: command, timeout: timeout)
        }
    }
}

/// `{target}`, `{rule}`, `{state}`, … in an exec command's arguments.
enum CommandTemplate {
    static let names = ["target", "path", "title", "category", "site", "rule", "state", "value", "pattern", "comment", "time"]

    /// The `{word}` placeholders in `text` (a word of letters and `_`).
    static func placeholders(in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: "}") else { break }
            let word = after[..<close]
            if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0 == "_" }) { found.append(String(word)) }
            rest = after[close...].dropFirst()
        }
        return found
    }

    static func value(_ name: String, of notification: AlertNotification) -> String {
        switch name {
        case "target": notification.target
        case "path": notification.path ?? ""
        case "title": notification.title ?? ""
        case "category": notification.category ?? ""
        case "site": notification.site ?? ""
        case "rule": notification.rule
        case "state": notification.state.rawValue
        case "value": notification.value.map { "\($0)" } ?? ""
        case "pattern": notification.pattern
        case "comment": notification.comment
        case "time": notification.time
        default: "{\(name)}"
        }
    }

    /// `argument` with each known placeholder replaced by the notification's value.
    static func substitute(_ argument: String, with notification: AlertNotification) -> String {
        var result = argument
        for name in placeholders(in: argument) where names.contains(name) {
            result = result.replacingOccurrences(of: "{\(name)}", with: value(name, of: notification))
        }
        return result
    }
}

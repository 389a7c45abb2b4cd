import Alerting
import Foundation

extension AlertNotification {
    /// The documented fields, absent values as `null`, keys sorted: what the webhook posts and
    /// the exec command reads on stdin.
    struct Body: Encodable {
        let notification: AlertNotification

        enum Keys: String, CodingKey { case target, path, title, category, site, rule, state, value, pattern, comment, time }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(notification.target, forKey: .target)
            try container.encode(notification.path, forKey: .path)
            try container.encode(notification.title, forKey: .title)
            try container.encode(notification.category, forKey: .category)
            try container.encode(notification.site, forKey: .site)
            try container.encode(notification.rule, forKey: .rule)
            try container.encode(notification.state.rawValue, forKey: .state)
            try container.encode(notification.value, forKey: .value)
            try container.encode(notification.pattern, forKey: .pattern)
            try container.encode(notification.comment, forKey: .comment)
            try container.encode(notification.time, forKey: .time)
        }
    }

    var jsonBody: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every field is a string, a finite number or null: encoding cannot fail.
        return (try? encoder.encode(Body(notification: self))) ?? Data("{}".utf8)
    }
}

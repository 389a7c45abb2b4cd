import EventModel
public import Logging

/// One event as every format writes it: the fixed fields, then the metadata sorted by key (the
/// component id taken out of it). Values print through `description`, so a `Secret` prints
/// `<redacted>`; a key that names a credential (`LogKey.isSecret`) prints `<redacted>` whatever
/// its value.
public struct LogLine: Sendable {
    public var time: Int64
    public var level: Logger.Level
    public var componentID: String
    public var message: String
    public var metadata: [(key: String, value: Logger.MetadataValue)]

    public init(time: Int64, level: Logger.Level, componentID: String, message: String, metadata: Logger.Metadata) {
        self.time = time
        self.level = level
        self.componentID = componentID
        self.message = message
        self.metadata = metadata.filter { $0.key != LogKey.componentID }.sorted { $0.key < $1.key }
    }

    /// The line, ending in a newline.
    public func rendered(_ format: LogFormat) -> String {
        var output = ""
        output.reserveCapacity(96 + message.utf8.count + metadata.count * 24)
        switch format {
        case .text: renderText(to: &output)
        case .logfmt: renderLogfmt(to: &output)
        case .json: renderJSON(to: &output)
        }
        output.append("\n")
        return output
    }

    /// `2026-12-02T15:37:45.123Z warning influx: message key=value …`
    func renderText(to output: inout String) {
        RFC3339.appendTime(time, to: &output)
        output.append(" \(level.rawValue) ")
        LogEscaping.appendEscaped(componentID, quotes: false, to: &output)
        output.append(": ")
        LogEscaping.appendEscaped(message, quotes: false, to: &output)
        appendLogfmtMetadata(to: &output)
    }

    /// `time=… level=warning component_id=influx message="…" key=value …`
    func renderLogfmt(to output: inout String) {
        output.append("time=")
        RFC3339.appendTime(time, to: &output)
        for (key, value) in [("level", level.rawValue), (LogKey.componentID, componentID), ("message", message)] {
            output.append(" \(key)=")
            LogEscaping.appendLogfmtValue(value, to: &output)
        }
        appendLogfmtMetadata(to: &output)
    }

    /// `{"time":"…","level":"warning","component_id":"influx","message":"…","key":"value",…}`;
    /// nested metadata stays nested (objects, arrays).
    func renderJSON(to output: inout String) {
        output.append("{\"time\":\"")
        RFC3339.appendTime(time, to: &output)
        output.append("\",\"level\":\"\(level.rawValue)\",\"\(LogKey.componentID)\":")
        LogEscaping.appendQuoted(componentID, to: &output)
        output.append(",\"message\":")
        LogEscaping.appendQuoted(message, to: &output)
        for (key, value) in metadata {
            output.append(",")
            LogEscaping.appendQuoted(key, to: &output)
            output.append(":")
            Self.appendJSON(LogKey.isSecret(key) ? .string(Self.redacted) : value, to: &output)
        }
        output.append("}")
    }

    func appendLogfmtMetadata(to output: inout String) {
        for (key, value) in metadata {
            output.append(" ")
            LogEscaping.appendLogfmtKey(key, to: &output)
            output.append("=")
            switch value {
            case _ where LogKey.isSecret(key): output.append(Self.redacted)
            case .string(let text): LogEscaping.appendLogfmtValue(text, to: &output)
            case .stringConvertible(let convertible): LogEscaping.appendLogfmtValue(convertible.description, to: &output)
            case .array, .dictionary:
                // Nested values as their JSON, one quoted logfmt value.
                var json = ""
                Self.appendJSON(value, to: &json)
                LogEscaping.appendLogfmtValue(json, to: &output)
            }
        }
    }

    static let redacted = "<redacted>"

    static func appendJSON(_ value: Logger.MetadataValue, to output: inout String) {
        switch value {
        case .string(let text): LogEscaping.appendQuoted(text, to: &output)
        case .stringConvertible(let convertible): LogEscaping.appendQuoted(convertible.description, to: &output)
        case .array(let values):
            output.append("[")
            for (index, element) in values.enumerated() {
                if index > 0 { output.append(",") }
                appendJSON(element, to: &output)
            }
            output.append("]")
        case .dictionary(let dictionary):
            output.append("{")
            for (index, (key, element)) in dictionary.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { output.append(",") }
                LogEscaping.appendQuoted(key, to: &output)
                output.append(":")
                appendJSON(LogKey.isSecret(key) ? .string(redacted) : element, to: &output)
            }
            output.append("}")
        }
    }
}

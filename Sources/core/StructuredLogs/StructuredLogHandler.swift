public import Logging

/// swift-log's handler for smokeflow's lines: a value (its level and metadata belong to one
/// `Logger`), writing through the process's shared `LogOutput`.
public struct StructuredLogHandler: LogHandler {
    let output: LogOutput
    /// The component id of lines whose metadata names none.
    let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    init(output: LogOutput, label: String, logLevel: Logger.Level) {
        self.output = output
        self.label = label
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { _, provided in provided } }
        if let own = event.metadata, !own.isEmpty { merged.merge(own) { _, own in own } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        let componentID = merged[LogKey.componentID].map { "\($0)" } ?? label
        output.emit(event, componentID: componentID, metadata: merged)
    }
}

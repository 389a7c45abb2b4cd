public import Foundation

/// Reads a pipeline file from disk: YAML, interpolation from the environment and an optional
/// `.env` file (the process environment wins), then the structural checks.
public struct PipelineLoader: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, envFile: String? = nil) throws(ConfigErrors) {
        var merged: [String: String] = [:]
        if let envFile {
            merged = try EnvironmentFile.parse(try EnvironmentFile.readPrivate(envFile), file: envFile)
        }
        merged.merge(environment) { _, process in process }
        self.environment = merged
    }

    public func load(path: String) throws(ConfigErrors) -> PipelineDefinition {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigErrors([ConfigError(SourceLocation(file: path, line: 1, column: 1), "cannot read the file")])
        }
        return try load(text: String(decoding: data, as: UTF8.self), file: path)
    }

    /// For `validate`: what could be read and every problem, structural or not.
    public func read(path: String) -> (PipelineDefinition?, [ConfigError]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            return (nil, [ConfigError(SourceLocation(file: path, line: 1, column: 1), "cannot read the file")])
        }
        do {
            let root = try YAMLLoader(environment: environment).load(text: String(decoding: data, as: UTF8.self), file: path)
            return PipelineDefinition.read(root)
        } catch {
            return (nil, error.errors)
        }
    }

    public func load(text: String, file: String) throws(ConfigErrors) -> PipelineDefinition {
        let root = try YAMLLoader(environment: environment).load(text: text, file: file)
        return try PipelineDefinition.parse(root)
    }
}

import Foundation
public import LineProtocol
import Logging
import NIOCore
public import PipelineConfig
import EventModel
public import PipelineRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `type: file` — appends line protocol to a file; `type: stdout` — writes it to standard output.
///
/// Each batch is written whole with one write(2), so the file never ends in half a line.
/// Batches are acknowledged after fsync, at most `flush_interval` after they were written.
public struct FileSinkConfiguration: SinkConfiguration {
    public static let typeName = "file"
    public var path: String
    public var append: Bool
    public var precision: Precision
    public var flushInterval: Duration

    public init(path: String, append: Bool = true, precision: Precision = .nanoseconds, flushInterval: Duration = .seconds(1)) {
        self.path = path
        self.append = append
        self.precision = precision
        self.flushInterval = flushInterval
    }

    public init(options: inout OptionsReader) {
        path = options.requiredString("path")
        append = options.bool("append", default: true)
        precision = options.oneOf("precision", default: .nanoseconds)
        flushInterval = options.duration("flush_interval", default: .seconds(1))
    }

    public func build(_ context: BuildContext) throws -> LineProtocolFileSink {
        LineProtocolFileSink(target: .path(path, append: append), precision: precision, flushInterval: flushInterval)
    }
}

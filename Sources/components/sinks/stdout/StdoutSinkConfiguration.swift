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

public struct StdoutSinkConfiguration: SinkConfiguration {
    public static let typeName = "stdout"
    public var precision: Precision

    public init(precision: Precision = .nanoseconds) { self.precision = precision }

    public init(options: inout OptionsReader) {
        precision = options.oneOf("precision", default: .nanoseconds)
    }

    public func build(_ context: BuildContext) throws -> LineProtocolFileSink {
        LineProtocolFileSink(target: .standardOutput, precision: precision, flushInterval: .seconds(1))
    }
}

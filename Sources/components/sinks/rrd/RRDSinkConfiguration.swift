import SmokePingFiles
import Foundation
import Logging
import NIOPosix
public import PipelineConfig
import LibRRD
import EventModel
public import PipelineRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `type: rrd` sink — writes rounds into SmokePing-compatible files (SmokePing's data sources,
/// archives and update strings), one per series at `path/<path tag>.rrd`, created on first
/// write, so SmokePing's CGI and `rrdtool graph` can draw them. The embedded default store
/// when no InfluxDB is configured.
///
/// Takes `latency` and `dns_latency` points (ms, as in `docs/schema.md`); other measurements,
/// points without a safe `path` (SmokePing names: `[-_0-9a-zA-Z]+` per section, `~` for a
/// slave) and rounds older than a file's last update are dropped, counted and logged once.
/// A batch is acknowledged after its files are updated and fsynced.
public struct RRDSinkConfiguration: SinkConfiguration {
    public static let typeName = "rrd"

    public enum Archives: String, Sendable, CaseIterable { case debian, upstream }

    public var path: String
    public var step: Int
    public var archives: Archives

    public init(options: inout OptionsReader) {
        path = options.requiredString("path")
        step = options.int("step", default: 300, range: 1...86400)
        archives = options.oneOf("archives", default: .debian)
    }

    public func build(_ context: BuildContext) throws -> RRDSink { RRDSink(configuration: self) }
}

import CRRD
import CRRDGuard
public import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// librrd's thread-safe `_r` functions, each run on NIO's blocking thread pool (never on the
/// cooperative pool or an event loop). librrd keeps its error message per thread, so every call
/// clears it first and reads it on the same thread. Every allocation librrd hands back is freed
/// with `rrd_freemem`/`rrd_info_free` on every path.
///
/// The `_r` functions read and write files directly and never talk to rrdcached: with rrdcached
/// in front of SmokePing, rows it still holds are not in the file yet (flush first, or let the
/// tail reader pick them up on a later poll).
public struct RRDClient: Sendable {
    let pool: NIOThreadPool

    public init(pool: NIOThreadPool = .singleton) {
        self.pool = pool
    }

    public func info(_ path: String) async throws -> RRDInfo {
        try await pool.runIfActive { try Self.info(path) }
    }

    public func fetch(_ path: String, consolidation: String, start: Int, end: Int, resolution: Int) async throws -> RRDFetch {
        try await pool.runIfActive { try Self.fetch(path, consolidation: consolidation, start: start, end: end, resolution: resolution) }
    }

    public func lastUpdate(_ path: String) async throws -> RRDLastUpdate {
        try await pool.runIfActive { try Self.lastUpdate(path) }
    }

    /// The time of the oldest row of archive `archive` (`rrd_first_r`).
    public func first(_ path: String, archive: Int) async throws -> Int {
        try await pool.runIfActive {
            rrd_clear_error()
            var faulted: Int32 = 0
            let first = smokeflow_rrd_first_r(path, Int32(archive), &faulted)
            if faulted != 0 { throw Self.changedWhileRead(path, "first") }
            if first < 0 { throw Self.error(path, "first") }
            return Int(first)
        }
    }

    /// `rrd_create_r2`: `sources` like `DS:loss:GAUGE:600:0:20`, `archives` like `RRA:AVERAGE:0.5:1:1008`.
    public func create(_ path: String, step: Int, start: Int, sources: [String], archives: [String], overwrite: Bool = false) async throws {
        try await pool.runIfActive {
            rrd_clear_error()
            let arguments = sources + archives
            let status = withCStrings(arguments) { argv in
                rrd_create_r2(path, UInt(step), time_t(start), overwrite ? 0 : 1, nil, nil, Int32(arguments.count), argv)
            }
            if status != 0 { throw Self.error(path, "create") }
        }
    }

    /// `rrd_update_r` with a template (`uptime:loss:median:ping1:…`) and `time:v1:v2:…` rows
    /// (`U` for unknown).
    public func update(_ path: String, template: String?, rows: [String]) async throws {
        try await pool.runIfActive {
            rrd_clear_error()
            let status = withCStrings(rows) { argv in rrd_update_r(path, template, Int32(rows.count), argv) }
            if status != 0 { throw Self.error(path, "update") }
        }
    }

    /// A SIGBUS inside librrd: the mapped file shrank under the read (rewritten in place).
    static func changedWhileRead(_ path: String, _ operation: String) -> RRDError {
        RRDError(path: path, operation: operation, message: "the file was truncated or rewritten in place while it was read (SIGBUS); replace RRD files by rename")
    }

    static func error(_ path: String, _ operation: String) -> RRDError {
        let message = rrd_get_error().map { String(cString: $0) } ?? "unknown error"
        return RRDError(path: path, operation: operation, message: message.isEmpty ? "unknown error" : message)
    }

    static func info(_ path: String) throws -> RRDInfo {
        rrd_clear_error()
        var faulted: Int32 = 0
        let head = smokeflow_rrd_info_r(path, &faulted)
        if faulted != 0 { throw changedWhileRead(path, "info") }
        guard let head else { throw error(path, "info") }
        defer { rrd_info_free(head) }
        var values: [String: RRDInfoValue] = [:]
        var node: UnsafeMutablePointer<rrd_info_t>? = head
        while let current = node {
            let key = String(cString: current.pointee.key)
            let value = current.pointee.value
            switch current.pointee.type {
            case RD_I_VAL: values[key] = .number(value.u_val)
            case RD_I_CNT: values[key] = .count(Int(value.u_cnt))
            case RD_I_INT: values[key] = .count(Int(value.u_int))
            case RD_I_STR: values[key] = value.u_str.map { .text(String(cString: $0)) }
            default: break
            }
            node = current.pointee.next
        }
        return try RRDInfo(path: path, values: values)
    }
}

/// Passes Swift strings to C as a `const char **` that lives for the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    var pointers = duplicates.map { UnsafePointer($0) }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

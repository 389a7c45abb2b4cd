import CRRD
import CRRDGuard

/// Rows of one archive as `rrd_fetch_r` returns them.
///
/// librrd rounds the requested range to the archive's step; row `i` covers
/// `(start + i·step, start + (i+1)·step]` and is stamped with the end of that interval,
/// `start + (i+1)·step` (checked in the tests against `rrdtool fetch`). Unknown values are NaN.
public struct RRDFetch: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var step: Int
    public var dataSources: [String]
    /// Row-major: `values[row * dataSources.count + source]`.
    public var values: [Double]

    public var rowCount: Int { dataSources.isEmpty ? 0 : values.count / dataSources.count }

    /// The end of row `row`'s interval.
    public func timestamp(ofRow row: Int) -> Int { start + (row + 1) * step }

    public func value(row: Int, source: Int) -> Double { values[row * dataSources.count + source] }
}

/// `rrd_lastupdate_r`: the time and the values of the last update, as text (`U` for unknown).
public struct RRDLastUpdate: Sendable, Equatable {
    public var time: Int
    public var dataSources: [String]
    public var values: [String]
}

extension RRDClient {
    static func fetch(_ path: String, consolidation: String, start: Int, end: Int, resolution: Int) throws -> RRDFetch {
        rrd_clear_error()
        var start = time_t(start)
        var end = time_t(end)
        var step = UInt(resolution)
        var count: UInt = 0
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var data: UnsafeMutablePointer<rrd_value_t>?
        var faulted: Int32 = 0
        let status = smokeflow_rrd_fetch_r(path, consolidation, &start, &end, &step, &count, &names, &data, &faulted)
        // A SIGBUS cut the call short: whatever it had allocated is librrd's, leaked, untouched.
        if faulted != 0 { throw changedWhileRead(path, "fetch") }
        // On failure librrd has freed what it allocated but may leave `names` pointing at the
        // freed array and `count` set (rrd_fetch.c's `err_free_all_ds_namv`, e.g. "malloc fetch
        // data area"): nothing of it may be touched. On success both arrays are ours.
        if status != 0 { throw error(path, "fetch") }
        defer {
            if let names {
                for index in 0..<Int(count) { rrd_freemem(names[index]) }
                rrd_freemem(names)
            }
            if let data { rrd_freemem(data) }
        }
        let rows = step == 0 ? 0 : Int((end - start) / time_t(step))
        let values = data.map { Array(UnsafeBufferPointer(start: $0, count: rows * Int(count))) } ?? []
        let dataSources = (0..<Int(count)).map { index in names.flatMap { $0[index] }.map { String(cString: $0) } ?? "" }
        return RRDFetch(start: Int(start), end: Int(end), step: Int(step), dataSources: dataSources, values: values)
    }

    static func lastUpdate(_ path: String) throws -> RRDLastUpdate {
        rrd_clear_error()
        var time: time_t = 0
        var count: UInt = 0
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var values: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        var faulted: Int32 = 0
        let status = smokeflow_rrd_lastupdate_r(path, &time, &count, &names, &values, &faulted)
        if faulted != 0 { throw changedWhileRead(path, "lastupdate") }
        // As for fetch: on failure librrd freed its arrays without clearing our pointers.
        if status != 0 { throw error(path, "lastupdate") }
        defer {
            for array in [names, values] {
                guard let array else { continue }
                for index in 0..<Int(count) { rrd_freemem(array[index]) }
                rrd_freemem(array)
            }
        }
        func strings(_ array: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
            (0..<Int(count)).map { index in array.flatMap { $0[index] }.map { String(cString: $0) } ?? "" }
        }
        return RRDLastUpdate(time: Int(time), dataSources: strings(names), values: strings(values))
    }
}

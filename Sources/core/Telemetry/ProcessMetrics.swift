#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The process' own series (the names every Prometheus client library uses), read from /proc
/// when scraped, and `smokeflow_build_info`.
public enum ProcessMetrics {
    /// Registers the process' series in `registry`.
    public static func register(in registry: MetricsRegistry, version: String) {
        guard !registry.isDiscarding else { return }
        registry.gauge(.buildInfo, [("version", version)]).set(1)
        let start = registry.gauge(.startTime, [])
        let memory = registry.gauge(.residentMemory, [])
        let files = registry.gauge(.openFileDescriptors, [])
        let cpu = registry.floatingCounter(.cpuSeconds, [])
        let cpuCounted = Mutex(0.0)
        if let started = startTime() { start.set(started) }
        registry.onCollect {
            if let rss = residentBytes() { memory.set(rss) }
            files.set(openFileCount())
            if let used = cpuSeconds() {
                let delta = cpuCounted.withLock { counted -> Double in
                    defer { counted = max(counted, used) }
                    return max(0, used - counted)
                }
                cpu.increment(by: delta)
            }
        }
    }

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Resident set size: /proc/self/statm's second field, in pages.
    static func residentBytes() -> Double? {
        guard let statm = readSmallFile("/proc/self/statm") else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func openFileCount() -> Double {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
        }
        return Double(count - 1)  // the descriptor opendir holds
    }

    /// /proc/self/stat after the command name: fields 14 and 15 (utime, stime) and 22 (start
    /// time), in clock ticks; the start is since boot.
    static func statFields() -> [Substring]? {
        guard let stat = readSmallFile("/proc/self/stat"), let end = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: end)...].split(separator: " ")
    }

    static func cpuSeconds() -> Double? {
        guard let fields = statFields(), fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    static func startTime() -> Double? {
        guard let fields = statFields(), fields.count > 19, let ticks = Double(fields[19]),
            let stat = readSmallFile("/proc/stat"),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
            let boot = Double(line.dropFirst(6).trimmingPrefix(" "))
        else { return nil }
        return boot + ticks / ticksPerSecond
    }

    /// A /proc file's text (they report size 0, so read until the end).
    static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

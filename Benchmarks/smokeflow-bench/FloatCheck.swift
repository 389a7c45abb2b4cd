import Foundation
import LineProtocol

/// The runtime's formatter, the reference `writeShortest` must match byte for byte.
@_silgen_name("swift_float64ToString")
func runtimeFloat64ToString(_ buffer: UnsafeMutablePointer<UInt8>, _ bufferLength: UInt, _ value: Double, _ debug: Bool) -> UInt64

/// float-check N: N uniform random bit patterns and N SmokePing latencies (ms with 6 decimals)
/// through `writeShortest` and the runtime's formatter: every byte compared, and the time of
/// each (one core, the values in an array, written into a 32-byte slot).
func floatCheck(count: Int) {
    var generator = SystemRandomNumberGenerator()
    let kinds: [(String, [Double])] = [
        ("uniform_bits", (0..<count).map { _ in
            var value: Double
            repeat { value = Double(bitPattern: generator.next()) } while value.isNaN
            return value
        }),
        ("latencies_ms", (0..<count).map { _ in Double(Int.random(in: 100...200_000_000, using: &generator)) / 1e6 }),
    ]
    let ours = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
    let theirs = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
    defer { ours.deallocate(); theirs.deallocate() }
    for (name, values) in kinds {
        var mismatches = 0
        for value in values {
            theirs.initialize(repeating: UInt8(ascii: "0"), count: 32)
            let expected = Int(runtimeFloat64ToString(theirs, 32, value, false))
            let written = writeShortest(value, to: ours)
            if written != expected || memcmp(ours, theirs, written) != 0 {
                if mismatches == 0 { print("float_check_first_mismatch \(name) 0x\(String(value.bitPattern, radix: 16))") }
                mismatches += 1
            }
        }
        var sink = 0
        let start = ContinuousClock.now
        for value in values { sink &+= writeShortest(value, to: ours) }
        let oursTime = ContinuousClock.now - start
        let runtimeStart = ContinuousClock.now
        for value in values {
            theirs.initialize(repeating: UInt8(ascii: "0"), count: 32)
            sink &+= Int(runtimeFloat64ToString(theirs, 32, value, false))
        }
        let runtimeTime = ContinuousClock.now - runtimeStart
        func nanoseconds(_ duration: Duration) -> Double {
            (Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9) / Double(values.count)
        }
        print("float_check_\(name) \(values.count) doubles, \(mismatches) mismatches")
        print("float_ns_\(name) ours \(String(format: "%.1f", nanoseconds(oursTime))) ns, runtime \(String(format: "%.1f", nanoseconds(runtimeTime))) ns: \(String(format: "%.2f", nanoseconds(runtimeTime) / nanoseconds(oursTime)))x (bytes \(sink % 10))")
    }
}

import Foundation
import LineProtocol
import Testing

// The runtime entry point smokeflow used so far; the reference for every byte.
@_silgen_name("swift_float64ToString")
fileprivate func _swiftFloat64ToString(_ buffer: UnsafeMutablePointer<UInt8>, _ bufferLength: UInt, _ value: Double, _ debug: Bool) -> UInt64

// MARK: - Harness

// SplitMix64: LineProtocolEncoderTests.swift's.

fileprivate let randomCount: Int = {
    if let s = ProcessInfo.processInfo.environment["SHORTEST_FLOAT_COUNT"], let n = Int(s), n > 0 { return n }
    return 300_000
}()

fileprivate let baseSeed: UInt64 = {
    if let s = ProcessInfo.processInfo.environment["SHORTEST_FLOAT_SEED"], let n = UInt64(s) { return n }
    return 0x5EED_5EED_0000_0001
}()

fileprivate func hex(_ v: Double) -> String { "0x" + String(v.bitPattern, radix: 16) }

/// Compares one value against the runtime; returns nil when equal, else a message.
/// Checks: same length and bytes, nothing written past 32 bytes, and (non-NaN)
/// the text parses back to the same bit pattern.
fileprivate final class Checker {
    let ours = UnsafeMutablePointer<UInt8>.allocate(capacity: 48)
    let theirs = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
    var checked = 0
    var failures = 0
    var firstFailure: String?
    let parse: Bool

    init(parse: Bool = true) {
        self.parse = parse
        ours.initialize(repeating: 0xAA, count: 48)
        theirs.initialize(repeating: UInt8(ascii: "0"), count: 32)
    }
    deinit { ours.deallocate(); theirs.deallocate() }

    func text(_ p: UnsafeMutablePointer<UInt8>, _ n: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: p, count: max(0, min(n, 32))), as: UTF8.self)
    }

    func check(_ v: Double) {
        checked += 1
        for i in 32..<48 { ours[i] = 0xAA }
        let n = writeShortest(v, to: ours)
        theirs.update(repeating: UInt8(ascii: "0"), count: 32)   // the runtime relies on this pre-fill
        let m = Int(_swiftFloat64ToString(theirs, 32, v, false))
        var problem: String?
        if n != m || memcmp(ours, theirs, m) != 0 {
            problem = "bytes differ: ours \"\(text(ours, n))\" runtime \"\(text(theirs, m))\""
        } else if (32..<48).contains(where: { ours[$0] != 0xAA }) {
            problem = "wrote past 32 bytes"
        } else if parse && !v.isNaN {
            let s = text(ours, n)
            if let back = Double(s) {
                if back.bitPattern != v.bitPattern { problem = "\"\(s)\" parses to \(hex(back))" }
            } else {
                problem = "\"\(s)\" does not parse"
            }
        }
        if let problem {
            failures += 1
            if firstFailure == nil { firstFailure = "\(hex(v)) (\(v.debugDescription)): \(problem)" }
        }
    }

    func report(_ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        print("[ShortestFloat] \(what): \(checked) values, \(failures) mismatches"
              + (firstFailure.map { "; first: \($0)" } ?? ""))
        #expect(failures == 0, "\(what): \(failures) of \(checked) differ; first: \(firstFailure ?? "")",
                sourceLocation: sourceLocation)
    }
}

fileprivate func ours(_ v: Double) -> String {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
    defer { p.deallocate() }
    let n = writeShortest(v, to: p)
    return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
}

fileprivate func neighbours(_ x: Double, into c: Checker) {
    for v in [x, x.nextUp, x.nextDown, x.nextUp.nextUp, x.nextDown.nextDown] where v.isFinite || v.isInfinite {
        c.check(v)
        c.check(-v)
    }
}

// MARK: - Tests

/// The line-protocol encoder's float formatter against the Swift runtime's, byte for byte, and
/// each text parsed back to the same bits. SHORTEST_FLOAT_COUNT=10000000 (in release:
/// `swift test -c release --filter ShortestDoubleTests`) runs the 10^7 case; CI runs 3 x 10^5 a kind.
@Suite struct ShortestDoubleTests {

    @Test func knownForms() {
        let cases: [(Double, String)] = [
            (1.0, "1.0"), (0.1, "0.1"), (2.167, "2.167"), (100.0, "100.0"), (1e-05, "1e-05"),
            (0.0001, "0.0001"), (0.00012, "0.00012"), (9.9e-05, "9.9e-05"),
            (1.5e16, "1.5e+16"), (1e16, "1e+16"), (9007199254740992.0, "9007199254740992.0"),
            (9007199254740994.0, "9.007199254740994e+15"), (1e15, "1000000000000000.0"),
            (123456789012345.6, "123456789012345.6"), (0.30000000000000004, "0.30000000000000004"),
            (.leastNonzeroMagnitude, "5e-324"), (.greatestFiniteMagnitude, "1.7976931348623157e+308"),
            (.leastNormalMagnitude, "2.2250738585072014e-308"), (1e23, "1e+23"), (1e22, "1e+22"),
            (-0.0, "-0.0"), (0.0, "0.0"), (.infinity, "inf"), (-.infinity, "-inf"), (.nan, "nan"),
            (0.002167, "0.002167"), (12.345, "12.345"), (5.0, "5.0"), (-2.5e-7, "-2.5e-07"),
            (1e100, "1e+100"), (1e-100, "1e-100"), (4.35, "4.35"), (2.0e-7, "2e-07"),
        ]
        for (v, s) in cases {
            #expect(ours(v) == s, "\(hex(v)) expected \(s)")
            #expect(ours(v) == v.description || v.isNaN, "\(hex(v)) description \(v.description)")
        }
        let c = Checker()
        for (v, _) in cases { c.check(v) }
        c.report("known forms")
    }

    @Test func nanPayloads() {
        var rng = SplitMix64(seed: baseSeed ^ 0x1)
        let c = Checker(parse: false)
        let fixed: [UInt64] = [0x7FF8_0000_0000_0000, 0xFFF8_0000_0000_0000, 0x7FF0_0000_0000_0001,
                               0xFFF0_0000_0000_0001, 0x7FF4_0000_0000_0000, 0x7FFC_0000_0000_0000,
                               0x7FFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 0x7FF7_FFFF_FFFF_FFFF,
                               0x7FF8_0000_0000_0010, 0x7FF8_0001_0000_0000]
        for b in fixed { c.check(Double(bitPattern: b)) }
        for _ in 0..<100_000 {
            let r = rng.next()
            var b = (r & 0x800F_FFFF_FFFF_FFFF) | 0x7FF0_0000_0000_0000
            if b & 0x000F_FFFF_FFFF_FFFF == 0 { b |= 1 }
            // short payloads too
            if r & 0x10 != 0 { b &= 0xFFFF_C000_0000_FFFF; if b & 0x000F_FFFF_FFFF_FFFF == 0 { b |= 2 } }
            c.check(Double(bitPattern: b))
        }
        for v in [Double.nan, -Double.nan, .signalingNaN] { #expect(ours(v) == runtime(v)) }
        c.report("NaN bit patterns (byte equality with runtime)")
    }

    func runtime(_ v: Double) -> String {
        var buf = [UInt8](repeating: UInt8(ascii: "0"), count: 32)
        let n = buf.withUnsafeMutableBufferPointer { Int(_swiftFloat64ToString($0.baseAddress!, 32, v, false)) }
        return String(decoding: buf[0..<n], as: UTF8.self)
    }

    @Test func uniformRandomBits() {
        var rng = SplitMix64(seed: baseSeed ^ 0x2)
        let c = Checker()
        var done = 0
        while done < randomCount {
            let v = Double(bitPattern: rng.next())
            if v.isNaN { continue }
            c.check(v)
            done += 1
        }
        c.report("uniform random bit patterns")
    }

    @Test func latencies() {
        var rng = SplitMix64(seed: baseSeed ^ 0x3)
        let c = Checker()
        for _ in 0..<randomCount {
            c.check(Double.random(in: 0.0001..<2.0, using: &rng))
        }
        c.report("Double.random(in: 0.0001..<2.0)")
        let d = Checker()
        for _ in 0..<randomCount {
            let x = Double.random(in: 0.0005..<0.2, using: &rng)
            d.check(Double(Int(x * 1e6)) / 1e6)                     // SmokePing-style 1e-6 s rounding
        }
        d.report("latencies rounded to 1e-6 s")
    }

    @Test func shortDecimalStrings() {
        var rng = SplitMix64(seed: baseSeed ^ 0x4)
        let c = Checker()
        for i in 0..<randomCount {
            let text: String
            switch i % 4 {
            case 0: text = "0.00\(Int.random(in: 0..<1_000_000_000, using: &rng))"
            case 1: text = "\(Int.random(in: 0..<1000, using: &rng)).\(Int.random(in: 0..<1000, using: &rng))"
            case 2:
                let digits = Int.random(in: 1...15, using: &rng)
                var m = UInt64.random(in: 1..<10, using: &rng)
                for _ in 1..<digits { m = m * 10 + UInt64.random(in: 0..<10, using: &rng) }
                text = "\(m)e\(Int.random(in: -30...30, using: &rng))"
            default:
                text = "0.\(Int.random(in: 0..<1_000_000, using: &rng))"
            }
            c.check(Double(text)!)
        }
        c.report("Double(short decimal string)")
    }

    /// The short-decimal fast path (|v| < 10^7, up to 8 decimals) and its edges.
    @Test func fastPathEdges() {
        var rng = SplitMix64(seed: baseSeed ^ 0x7)
        let c = Checker()
        for _ in 0..<randomCount / 2 {
            // Every decimal N / 10^8 below 10^7, and its neighbours (which the
            // fast path must reject unless they are short themselves).
            let digits = Int.random(in: 1...15, using: &rng)
            var n: UInt64 = 0
            for _ in 0..<digits { n = n * 10 + UInt64.random(in: 0..<10, using: &rng) }
            let v = Double(n) / 1e8
            c.check(v); c.check(v.nextUp); c.check(v.nextDown)
            // 9 to 12 decimals: must fall back to the general path.
            let k = Int.random(in: 9...12, using: &rng)
            c.check(Double("0.\(String(repeating: "0", count: Int.random(in: 0...3, using: &rng)))\(UInt64.random(in: 1..<1_000_000_000, using: &rng))e0")!)
            c.check(Double(UInt64.random(in: 1..<1_000_000_000_000, using: &rng)) / pow(10, Double(k)))
        }
        // Boundaries: 1e-4 (decimal vs exponent), 1e7 (fast path limit),
        // fractions close to 1 (m rounding up to 10^8), half-way roundings.
        for base in [1e-4, 1e7, 1.0, 0.99999999, 0.999999995, 9999999.99999999, 0.00009999, 0.000099999999,
                     1e-8, 5e-9, 1.5e-8, 0.5, 0.05, 9999999.5, 9999999.0, 12.345, 0.002167, 0.000100000001] {
            var x = base
            for _ in 0..<50 { c.check(x); c.check(-x); x = x.nextUp }
            x = base
            for _ in 0..<50 { c.check(x); x = x.nextDown }
        }
        for i in 0..<100_000 {                     // 1e-4 ... 1e7 in decimal steps
            c.check(Double(i) * 1e-4); c.check(Double(i) / 1e4); c.check(Double(i) / 1e8 + 0.0001)
            c.check(Double(i) * 100.0 + 0.01); c.check(Double(i) + 0.5); c.check(Double(i) + 0.00000001)
        }
        c.report("fast-path edges")
    }

    /// Every decade from 1e-6 to 1e18 (all decimal-point positions of the
    /// general path, both sides of the 1e-4 and 2^53 format switches).
    @Test func everyDecade() {
        var rng = SplitMix64(seed: baseSeed ^ 0x8)
        let c = Checker()
        let perDecade = max(1, randomCount / 25)
        for e in -6...18 {
            let lo = Double("1e\(e)")!, hi = Double("1e\(e + 1)")!
            for _ in 0..<perDecade {
                let v = Double.random(in: lo..<hi, using: &rng)
                c.check(v)
                // and a few-digit version of it (fast path / short outputs)
                c.check(Double("\(String(v).prefix(Int.random(in: 3...10, using: &rng)))e0") ?? v)
            }
        }
        c.report("every decade 1e-6 ... 1e19")
    }

    /// Opt-in: every integer below 10^8 (checks the digit conversion exhaustively).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SHORTEST_FLOAT_EXHAUSTIVE"] != nil))
    func allIntegersBelow1e8() {
        let c = Checker(parse: false)
        for i in 0..<100_000_000 { c.check(Double(i)) }
        c.report("all integers below 10^8")
    }

    @Test func integers() {
        var rng = SplitMix64(seed: baseSeed ^ 0x5)
        let c = Checker()
        for i in 0...100_000 { c.check(Double(i)) }
        for i in 0...100 { c.check(Double(i * 5)) }
        for _ in 0..<randomCount / 2 {
            c.check(Double(UInt64.random(in: 0..<(1 << 53), using: &rng)))
            let bitsLen = Int.random(in: 1...64, using: &rng)
            c.check(Double(rng.next() >> UInt64(64 - bitsLen)))
        }
        var p: UInt64 = 1
        for _ in 0..<20 {
            for d in [p - 1, p, p + 1] { c.check(Double(d)); c.check(-Double(d)) }
            p = p &* 10
        }
        c.report("integers")
    }

    @Test func subnormals() {
        var rng = SplitMix64(seed: baseSeed ^ 0x6)
        let c = Checker()
        for b in UInt64(1)...100_000 { c.check(Double(bitPattern: b)) }
        for b in (UInt64(1) << 52) - 100_000 ..< (UInt64(1) << 52) + 100_000 { c.check(Double(bitPattern: b)) }
        for _ in 0..<randomCount / 4 {
            c.check(Double(bitPattern: rng.next() & 0x800F_FFFF_FFFF_FFFF))
        }
        c.report("subnormals")
    }

    @Test func powersAndNeighbours() {
        let c = Checker()
        for e in -323...308 {
            neighbours(Double("1e\(e)")!, into: c)
            neighbours(Double("5e\(e)")!, into: c)
        }
        var x = Double.leastNonzeroMagnitude
        while x.isFinite {                       // every power of two, 2^-1074 ... 2^1023
            neighbours(x, into: c)
            x *= 2
        }
        for v in [Double.greatestFiniteMagnitude, .leastNonzeroMagnitude, .leastNormalMagnitude,
                  0.0, -0.0, .infinity, -.infinity, 0x1p53, 0x1p54, 1e-4, 1e16, 1e15] {
            neighbours(v, into: c)
        }
        c.report("powers of ten / two, extremes and neighbours")
    }
}

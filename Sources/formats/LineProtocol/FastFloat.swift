/// Exact decimal-to-double conversion for the common case, without strtod: up to 19
/// significant digits and a decimal exponent within ±27, computed in Float80 (whose 64-bit
/// significand holds both exactly) and rounded once more to Double. When that second rounding
/// could differ from a direct one (the Float80 result sits on a Double halfway point), it
/// declines and the caller uses strtod.
enum FastFloat {
    static let powers: [Float80] = (0...27).map { exponent in
        var value: Float80 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    static let doublePowers: [Double] = (0...22).map { exponent in
        var value: Double = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        var negative = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            if mantissa != 0 || digit != 0 { digits += 1 }
            guard digits <= 19 else { return nil }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            sawDigit = true
            index += 1
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
                if mantissa != 0 || digit != 0 { digits += 1 }
                guard digits <= 19 else { return nil }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                exponent -= 1
                sawDigit = true
                index += 1
            }
        }
        guard sawDigit else { return nil }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var value = 0
            var any = false
            while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
                value = value * 10 + Int(digit)
                guard value < 10_000 else { return nil }
                any = true
                index += 1
            }
            guard any else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard index == bytes.count else { return nil }
        if mantissa == 0 { return negative ? -0.0 : 0.0 }
        guard exponent >= -27 && exponent <= 27 else { return nil }
        // Clinger's fast path: both operands exact in Double, so one correctly rounded operation.
        if mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            let result = exponent < 0 ? Double(mantissa) / doublePowers[-exponent] : Double(mantissa) * doublePowers[exponent]
            if exponent <= 0 || result < 9_007_199_254_740_992 {
                return negative ? -result : result
            }
        }
        let wide = exponent < 0 ? Float80(mantissa) / powers[-exponent] : Float80(mantissa) * powers[exponent]
        // The 11 bits Double drops: within one unit of 0x400 means a possible double-rounding tie.
        let dropped = wide.significandBitPattern & 0x7FF
        if dropped >= 0x3FF && dropped <= 0x401 { return nil }
        let result = Double(wide)
        return negative ? -result : result
    }
}

/// The y axis: its top as SmokePing's `findmax` chooses it and ticks in 1-2-5 steps.
public enum ValueAxis {
    /// SmokePing takes the largest median of the range times 1.2 (the bands above it are cut at
    /// the top edge), so a few outlying pings do not squash the graph. Without any median the
    /// largest ping is used; without anything, 1 ms.
    public static func top(of rounds: SmokeRounds) -> Double {
        let medians = rounds.rounds.compactMap(\.median)
        if let largest = medians.max(), largest > 0 { return largest * 1.2 }
        if let largest = rounds.rounds.compactMap(\.times.last).max(), largest > 0 { return largest * 1.2 }
        return 1
    }

    /// A 1-2-5 step giving at most `maxTicks` intervals up to `top`.
    public static func step(top: Double, maxTicks: Int = 6) -> Double {
        guard top > 0, top.isFinite else { return 1 }
        let raw = top / Double(max(1, maxTicks))
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw { magnitude /= 10 }
        for multiple in [1.0, 2, 5, 10] where magnitude * multiple >= raw {
            return magnitude * multiple
        }
        return magnitude * 10
    }

    /// 0, step, 2·step … up to `top` (inclusive, allowing rounding).
    public static func ticks(top: Double, maxTicks: Int = 6) -> [Double] {
        let step = step(top: top, maxTicks: maxTicks)
        var ticks: [Double] = []
        var index = 0
        while Double(index) * step <= top * (1 + 1e-9) {
            ticks.append((Double(index) * step * 1e9).rounded() / 1e9)
            index += 1
        }
        return ticks
    }

    /// `0`, `2.5`, `100`: no trailing zeros; values below 1 ms keep their digits.
    public static func label(_ value: Double) -> String {
        if value == value.rounded() { return String(Int(value)) }
        var text = String(format3(value))
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    static func format3(_ value: Double) -> String {
        let scaled = Int((value * 1000).rounded())
        let whole = scaled / 1000
        let fraction = abs(scaled % 1000)
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: 3 - digits.count) + digits
    }
}

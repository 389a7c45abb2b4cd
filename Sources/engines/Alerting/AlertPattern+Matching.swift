/// One round's value in a target's history, as SmokePing's alert stack holds it.
public enum AlertValue: Sendable, Hashable {
    /// `S`: pushed once before a target's first round.
    case start
    /// `undef`: an rtt with every ping lost.
    case unknown
    /// Loss in percent of the pings sent, rtt in seconds.
    case number(Double)
}

extension AlertPattern {
    /// Whether the pattern matches the history (oldest first, newest last), exactly as the Perl
    /// sub `init_alerts` compiles does. That code anchors the last element at the newest round
    /// and nests one `for` loop per wildcard, the first wildcard innermost; each loop's
    /// variable is how many rounds that wildcard skips, from 0 up to (not including)
    /// `min(maxlength − outer skips, min(history − minlength, N))`. A failed test tries the
    /// next skip of the innermost open loop; an inner loop that ends (by success or by running
    /// out) is followed by the check `skip >= min(maxlength − skips so far, imax)`, which makes
    /// the whole pattern fail (a `return 0`, not a retry of the outer loop). Those quirks are
    /// SmokePing's and are kept: `>0%,*12*,>0%,*12*,>0%` needs four rounds of history and a
    /// late match far back may be refused (the table in the unit tests pins them).
    public func matches(_ history: [AlertValue]) -> Bool {
        PatternEvaluation(pattern: self, history: history).run()
    }
}

/// The compiled sub of one pattern against one history (no allocation: the segments are the
/// pattern's own).
struct PatternEvaluation {
    let pattern: AlertPattern
    let history: [AlertValue]
    let wildcards: Int
    let maxLength: Int
    /// `history − minlength`: how many rounds the wildcards may skip in all.
    let available: Int

    init(pattern: AlertPattern, history: [AlertValue]) {
        self.pattern = pattern
        self.history = history
        wildcards = pattern.wildcardCounts.count
        maxLength = pattern.maxLength
        available = history.count - pattern.minLength
    }

    /// `imax` of loop `m` (1-based, outermost first): loop `m` belongs to wildcard `k − m + 1`.
    func limit(_ m: Int) -> Int { min(available, pattern.wildcardCounts[wildcards - m]) }

    enum LoopEnd { case ended(skip: Int), patternFails }

    func run() -> Bool {
        guard available >= 0 else { return false }
        if wildcards > 0 {
            switch loop(1, outerSkips: 0) {
            case .patternFails: return false
            case .ended(let skip):
                if skip >= min(maxLength - skip, limit(1)) { return false }
            }
        }
        return passes(segment: wildcards, skips: 0)
    }

    /// Loop `m`: its body is loop `m + 1` and that loop's check, then segment `k − m`.
    func loop(_ m: Int, outerSkips: Int) -> LoopEnd {
        let bound = min(maxLength - outerSkips, limit(m))
        var skip = 0
        while skip < bound {
            let skips = outerSkips + skip
            if m < wildcards {
                switch loop(m + 1, outerSkips: skips) {
                case .patternFails: return .patternFails
                case .ended(let inner):
                    if inner >= min(maxLength - skips - inner, limit(m + 1)) { return .patternFails }
                }
            }
            if passes(segment: wildcards - m, skips: skips) { return .ended(skip: skip) }
            skip += 1
        }
        return .ended(skip: skip)
    }

    /// Every test of the segment, each at its base index shifted back by the open loops' skips.
    func passes(segment: Int, skips: Int) -> Bool {
        for (index, test) in pattern.segments[segment] {
            let position = history.count + index - skips
            let value: AlertValue? = position >= 0 ? history[position] : nil
            if !Self.passes(test, value) { return false }
        }
        return true
    }

    /// `value` nil: before the history (Perl's `undef` for an index past the start).
    static func passes(_ test: AlertPattern.Test, _ value: AlertValue?) -> Bool {
        switch test {
        case .any: return true
        case .start: return value == .start
        case .unknown: return value == nil || value == .unknown
        case .known: return value != nil && value != .unknown
        case .number(let op, let bound, let second, let secondBound):
            // `defined and /^\d/`: a number that prints with a leading digit (never S, -1, NaN).
            guard case .number(let number)? = value, number.isFinite, number >= 0 else { return false }
            guard op.holds(number, bound) else { return false }
            if let second { return second.holds(number, secondBound) }
            return true
        }
    }
}

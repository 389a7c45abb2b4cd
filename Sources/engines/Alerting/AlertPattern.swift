/// A SmokePing alert pattern (`Smokeping.pm`, the Alerts section of the config grammar):
/// comma-separated elements, oldest round first, newest last. Parsed as `init_alerts` parses
/// it, with the same errors, and matched by `matches(_:)` exactly as the Perl code it compiles
/// to (`AlertPattern+Matching.swift`).
public struct AlertPattern: Sendable, Hashable, CustomStringConvertible {
    /// `>`, `<`, `>=`, `<=`, `==`, `!=`: Perl's numeric comparisons.
    public enum Operator: String, Sendable, Hashable, CaseIterable {
        case equal = "==", notEqual = "!=", less = "<", greater = ">", lessOrEqual = "<=", greaterOrEqual = ">="

        @inlinable
        func holds(_ lhs: Double, _ rhs: Double) -> Bool {
            switch self {
            case .equal: lhs == rhs
            case .notEqual: lhs != rhs
            case .less: lhs < rhs
            case .greater: lhs > rhs
            case .lessOrEqual: lhs <= rhs
            case .greaterOrEqual: lhs >= rhs
            }
        }
    }

    /// What one element asks of one round's value.
    public enum Test: Sendable, Hashable {
        /// `>20%`, `<100`, `>45%<=55%`: a number (loss in percent, rtt in seconds as SmokePing
        /// stores it: the pattern's milliseconds divided by 1000), optionally a second bound.
        case number(Operator, Double, second: Operator?, Double)
        /// `==U`: no value (an rtt of a round with every ping lost, or before the history).
        case unknown
        /// `!=U`: any value, `S` included.
        case known
        /// `==S`: the start marker SmokePing puts before a target's first round.
        case start
        /// `==*`: anything, even no round at all.
        case any
    }

    public enum Element: Sendable, Hashable {
        case test(Test)
        /// `*N*`: up to N-1 rounds skipped there (SmokePing's loop runs `0 ..< N`; see matching).
        case wildcard(Int)
    }

    public let text: String
    public let kind: AlertKind
    public let elements: [Element]
    /// Elements that test a round (SmokePing's `minlength`).
    public let minLength: Int
    /// `minLength` plus every wildcard's N (SmokePing's `maxlength`: how many rounds a target
    /// with this rule keeps, its `fetchlength`, is the largest of its rules').
    public let maxLength: Int
    /// The tests between wildcards (`segments[0]` before the first), each with SmokePing's
    /// base index (`-minlength + position among the tests`): the compiled form matching uses.
    let segments: [[(index: Int, test: Test)]]
    /// Each wildcard's N, in pattern order.
    let wildcardCounts: [Int]

    public var description: String { text }

    /// Two patterns are the same when their text and type are (the rest follows from those).
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.text == rhs.text && lhs.kind == rhs.kind }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(text)
        hasher.combine(kind)
    }

    /// Parses as `init_alerts`: the text split at commas (spaces around them dropped, trailing
    /// empty elements too, as Perl's `split`), each element matched against SmokePing's regular
    /// expression. Throws the message SmokePing dies with (without its "ERROR: Alert NAME").
    public init(_ text: String, kind: AlertKind) throws(AlertPatternError) {
        self.text = text
        self.kind = kind
        var pieces = Self.splitLikePerl(text)
        while pieces.last == "" { pieces.removeLast() }
        guard !pieces.isEmpty else { throw AlertPatternError("the pattern is empty") }
        var elements: [Element] = []
        for piece in pieces { elements.append(try Self.element(piece, kind: kind)) }
        self.elements = elements
        var tests = 0
        var wildcards = 0
        for element in elements {
            switch element {
            case .test: tests += 1
            case .wildcard(let count): wildcards += count
            }
        }
        minLength = tests
        maxLength = tests + wildcards
        var segments: [[(index: Int, test: Test)]] = [[]]
        var counts: [Int] = []
        var index = -tests
        for element in elements {
            switch element {
            case .test(let test):
                segments[segments.count - 1].append((index, test))
                index += 1
            case .wildcard(let count):
                counts.append(count)
                segments.append([])
            }
        }
        self.segments = segments
        wildcardCounts = counts
    }

    /// `split /\s*,\s*/`: the spaces around each comma go with it.
    static func splitLikePerl(_ text: String) -> [String] {
        let pieces = text.split(separator: ",", omittingEmptySubsequences: false)
        return pieces.indices.map { index in
            var part = pieces[index]
            if index > pieces.startIndex { part = part.drop { $0.isWhitespace } }
            if index < pieces.endIndex - 1 { while part.last?.isWhitespace == true { part = part.dropLast() } }
            return String(part)
        }
    }

    /// One element, by SmokePing's expression
    /// `^(==|!=|<|>|<=|>=|\*)(\d+(?:\.\d*)?|U|S|\d*\*)(%?)(?:(<|>|<=|>=)(\d+(?:\.\d*)?)(%?))?$`.
    static func element(_ piece: String, kind: AlertKind) throws(AlertPatternError) -> Element {
        var scanner = PatternScanner(piece)
        let invalid = AlertPatternError("pattern entry '\(piece)' is invalid")
        guard let first = scanner.operatorOrStar() else { throw invalid }
        if first == "*" {
            guard let count = scanner.digits(), scanner.take("*"), scanner.atEnd || scanner.rest == "%" else {
                throw AlertPatternError("multi-match operator * must be followed by Number* (pattern entry '\(piece)')")
            }
            guard let number = Int(count), number >= 1, count.first != "0" else {
                throw AlertPatternError("multi-match operator * must be followed by Number* (pattern entry '\(piece)')")
            }
            return .wildcard(number)
        }
        guard let op = Operator(rawValue: first) else { throw invalid }
        if scanner.take("U") {
            guard scanner.endsAfterSymbol() else { throw invalid }
            switch op {
            case .equal: return .test(.unknown)
            case .notEqual: return .test(.known)
            default: throw AlertPatternError("invalid operator \(op.rawValue) in connection U (pattern entry '\(piece)')")
            }
        }
        if scanner.take("S") {
            guard scanner.endsAfterSymbol() else { throw invalid }
            guard op == .equal else { throw AlertPatternError("S is only valid with == operator (pattern entry '\(piece)')") }
            return .test(.start)
        }
        if scanner.take("*") {
            guard scanner.endsAfterSymbol() else { throw invalid }
            guard op == .equal else { throw AlertPatternError("operator \(op.rawValue) makes no sense with * (pattern entry '\(piece)')") }
            return .test(.any)
        }
        guard let value = scanner.number() else { throw invalid }
        let percent = scanner.take("%")
        var second: Operator?
        var secondValue = 0.0
        var secondPercent = false
        if !scanner.atEnd {
            guard let text = scanner.operatorOrStar(), let op2 = Operator(rawValue: text), op2 != .equal, op2 != .notEqual,
                let bound = scanner.number()
            else { throw invalid }
            second = op2
            secondValue = bound
            secondPercent = scanner.take("%")
            guard scanner.atEnd else { throw invalid }
        }
        switch kind {
        case .loss:
            guard percent, second == nil || secondPercent else {
                throw AlertPatternError("loss should be specified in % (pattern entry '\(piece)')")
            }
            return .test(.number(op, value, second: second, secondValue))
        case .rtt:
            // SmokePing keeps rtt in seconds and divides the pattern's milliseconds by 1000.
            return .test(.number(op, value / 1000, second: second, secondValue / 1000))
        }
    }
}

/// `loss` (percent of the round's pings) or `rtt` (the round's median). SmokePing's third type,
/// `matcher` (plugins such as Avgratio), has no counterpart here.
public enum AlertKind: String, Sendable, Hashable, CaseIterable, Codable {
    case loss, rtt
}

/// A pattern SmokePing would refuse, with the reason it gives.
public struct AlertPatternError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A cursor over one pattern element.
struct PatternScanner {
    private var characters: Substring

    init(_ text: String) { characters = Substring(text) }

    var atEnd: Bool { characters.isEmpty }
    var rest: Substring { characters }

    mutating func take(_ character: Character) -> Bool {
        guard characters.first == character else { return false }
        characters.removeFirst()
        return true
    }

    /// `==`, `!=`, `<=`, `>=`, `<`, `>` or `*`.
    mutating func operatorOrStar() -> String? {
        for candidate in ["==", "!=", "<=", ">=", "<", ">", "*"] where characters.hasPrefix(candidate) {
            characters.removeFirst(candidate.count)
            return candidate
        }
        return nil
    }

    mutating func digits() -> Substring? {
        let run = characters.prefix { $0.isASCII && $0.isNumber }
        guard !run.isEmpty else { return nil }
        characters.removeFirst(run.count)
        return run
    }

    /// `\d+(?:\.\d*)?`, as Perl reads it as a number.
    mutating func number() -> Double? {
        guard var text = digits().map(String.init) else { return nil }
        if take(".") {
            let fraction = digits().map(String.init) ?? ""
            text += "." + (fraction.isEmpty ? "0" : fraction)
        }
        return Double(text)
    }

    /// After U, S or *: an optional `%` and second condition (accepted and ignored, as
    /// SmokePing does), then the end.
    mutating func endsAfterSymbol() -> Bool {
        _ = take("%")
        var copy = self
        if let text = copy.operatorOrStar(), text != "*", text != "==", text != "!=", copy.number() != nil {
            _ = copy.take("%")
            self = copy
        }
        return atEnd
    }
}

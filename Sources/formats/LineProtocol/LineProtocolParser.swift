public import EventModel

/// Parses InfluxDB line protocol with the encoder's escaping rules, incrementally: feed it
/// chunks, it returns how many bytes made whole points and keeps count of lines for errors.
///
/// Blank lines and `#` comments are skipped. A backslash escapes a following separator
/// (comma, space, and `=` in keys and tag values); before any other byte it is literal.
public struct LineProtocolParser: Sendable {
    public var precision: Precision
    /// 1-based line number of the next unparsed byte.
    public private(set) var line = 1
    /// Names repeat from line to line in the same places; reusing their Strings saves decoding.
    var names = NameCache()

    public init(precision: Precision = .nanoseconds) {
        self.precision = precision
    }

    /// Parses every complete point in `bytes` into `points` and returns the bytes consumed.
    /// With `isFinal`, the bytes are the end of the input and a last line may lack its newline;
    /// otherwise an incomplete last line is left for the next call.
    public mutating func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, isFinal: Bool, into points: inout [Point]
    ) throws(LineProtocolParseError) -> Int {
        var cursor = ParseCursor(bytes: bytes, isFinal: isFinal, names: names)
        defer { names = cursor.names }
        while true {
            let lineStart = cursor.index
            do throws(ParseCursor.Stop) {
                guard let line = try cursor.parseLine(precision: precision) else { return cursor.index }
                if case .point(let point) = line { points.append(point) }
                self.line += 1
            } catch {
                switch error {
                case .needMore: return lineStart
                case .invalid(let column, let message):
                    throw LineProtocolParseError(line: line, column: column, message: message)
                }
            }
        }
    }

    /// Parses a whole text, e.g. in tests.
    public static func parse(_ text: String, precision: Precision = .nanoseconds) throws(LineProtocolParseError) -> [Point] {
        var parser = LineProtocolParser(precision: precision)
        var points: [Point] = []
        var text = text
        let result: Result<Int, LineProtocolParseError> = text.withUTF8 { bytes in
            do throws(LineProtocolParseError) {
                return .success(try parser.parse(bytes, isFinal: true, into: &points))
            } catch {
                return .failure(error)
            }
        }
        _ = try result.get()
        return points
    }
}

/// The one escaper of every format: JSON string escapes (RFC 8259), which logfmt's quoted
/// values share. Written once so no format can end a line early or split a value.
enum LogEscaping {
    /// `text` as a JSON string, quotes included.
    static func appendQuoted(_ text: String, to output: inout String) {
        output.append("\"")
        appendEscaped(text, quotes: true, to: &output)
        output.append("\"")
    }

    /// `text` with every control character escaped (and `"`, `\` when `quotes`): one line,
    /// whatever the text held. Non-ASCII stays UTF-8, but for U+2028/U+2029 (line breaks to
    /// some readers).
    static func appendEscaped(_ text: String, quotes: Bool, to output: inout String) {
        // Fast path: most messages need nothing escaped.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xE2 || (quotes && ($0 == 0x22 || $0 == 0x5C)) }) {
            output.append(text)
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"" where quotes: output.append("\\\"")
            case "\\" where quotes: output.append("\\\\")
            case "\n": output.append("\\n")
            case "\r": output.append("\\r")
            case "\t": output.append("\\t")
            case "\u{08}": output.append("\\b")
            case "\u{0C}": output.append("\\f")
            case "\u{00}"..."\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}": appendUnicodeEscape(scalar.value, to: &output)
            default: output.unicodeScalars.append(scalar)
            }
        }
    }

    static func appendUnicodeEscape(_ value: UInt32, to output: inout String) {
        let digits = Array("0123456789abcdef".unicodeScalars)
        output.append("\\u")
        for shift in stride(from: 12, through: 0, by: -4) { output.unicodeScalars.append(digits[Int((value >> UInt32(shift)) & 0xF)]) }
    }

    /// A logfmt value: bare when it is a non-empty run of printable ASCII without space, `=`
    /// or `"`; quoted and escaped otherwise.
    static func appendLogfmtValue(_ value: String, to output: inout String) {
        let bare = !value.isEmpty && value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x3D && $0 != 0x22 && $0 != 0x5C }
        if bare { output.append(value) } else { appendQuoted(value, to: &output) }
    }

    /// A logfmt key: what cannot stand in one (space, `=`, `"`, control characters) becomes `_`.
    static func appendLogfmtKey(_ key: String, to output: inout String) {
        if key.isEmpty { return output.append("_") }
        for scalar in key.unicodeScalars {
            let allowed = scalar.value > 0x20 && scalar.value < 0x7F && scalar != "=" && scalar != "\""
            output.unicodeScalars.append(allowed ? scalar : "_")
        }
    }
}

/// Helpers for writing SVG by hand: escaping and compact numbers.
enum SVGText {
    /// Escapes text and attribute values; the title and target names are user input.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            // XML 1.0 forbids most control characters even when escaped: drop them.
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": continue
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    /// One decimal, no trailing `.0`: coordinates stay short in graphs with thousands of rects.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = Int((value * 10).rounded())
        if tenths % 10 == 0 { return String(tenths / 10) }
        let sign = tenths < 0 ? "-" : ""
        let magnitude = abs(tenths)
        return "\(sign)\(magnitude / 10).\(magnitude % 10)"
    }

    /// `#dddddd` for a grey level 0–255.
    static func grey(_ level: Int) -> String {
        let hex = String(max(0, min(255, level)), radix: 16)
        let pair = hex.count == 1 ? "0" + hex : hex
        return "#" + pair + pair + pair
    }
}

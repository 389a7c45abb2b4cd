public import Postgres

/// A one-dimensional array parameter in PostgreSQL's text form (`{"a","b",NULL}`), so a whole
/// import travels as a few parameters of one statement instead of thousands of round trips.
public struct PostgresTextArray: PostgresEncodable {
    let elements: [String?]

    public init(_ elements: [String?]) { self.elements = elements }

    public var postgresText: String {
        var text = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { text += "," }
            guard let element else {
                text += "NULL"
                continue
            }
            text += "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}

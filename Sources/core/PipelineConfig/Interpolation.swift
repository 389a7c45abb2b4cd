import Foundation

/// `${VAR}` and `${VAR:-default}` from the environment; `$$` is a literal `$`.
///
/// `:-` uses the default when the variable is unset or empty (as in the shell and Vector);
/// an unset variable without default is an error that names the variable.
public struct Interpolation: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public enum Failure: Error, Equatable {
        case unset(name: String, offset: Int)
        case malformed(offset: Int)
    }

    /// The interpolated text and whether anything was substituted.
    public func apply(to text: String) -> Result<(String, Bool), Failure> {
        guard text.contains("$") else { return .success((text, false)) }
        var output = ""
        var substituted = false
        let characters = Array(text.unicodeScalars)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count else {
                output.unicodeScalars.append(character)
                index += 1
                continue
            }
            let next = characters[index + 1]
            if next == "$" {
                output.append("$")
                index += 2
                continue
            }
            guard next == "{" else {
                output.unicodeScalars.append(character)
                index += 1
                continue
            }
            guard let close = characters[(index + 2)...].firstIndex(of: "}") else { return .failure(.malformed(offset: index)) }
            let body = String(String.UnicodeScalarView(characters[(index + 2)..<close]))
            let name: String
            let fallback: String?
            if let range = body.range(of: ":-") {
                name = String(body[..<range.lowerBound])
                fallback = String(body[range.upperBound...])
            } else {
                name = body
                fallback = nil
            }
            guard Self.isValidName(name) else { return .failure(.malformed(offset: index)) }
            substituted = true
            if let value = environment[name], !(value.isEmpty && fallback != nil) {
                output += value
            } else if let fallback {
                output += fallback
            } else {
                return .failure(.unset(name: name, offset: index))
            }
            index = close + 1
        }
        return .success((output, substituted))
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic && first.isASCII else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}

/// A `.env` file: `NAME=value` lines, `#` comments, optional `export `, optional quotes.
public enum EnvironmentFile {
    /// Reads an env file of credentials, refusing one that group or others may read or write,
    /// as ssh refuses such a key: one line naming the file and the fix.
    public static func readPrivate(_ path: String) throws(ConfigErrors) -> String {
        let location = SourceLocation(file: path, line: 1, column: 1)
        var info = stat()
        guard stat(path, &info) == 0, let data = FileManager.default.contents(atPath: path) else {
            throw ConfigErrors([ConfigError(location, "cannot read the .env file")])
        }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            let octal = String(mode, radix: 8)
            throw ConfigErrors([ConfigError(location, "permissions 0\(octal) are too open: group or others can \(mode & 0o044 != 0 ? "read" : "write") this credentials file; run chmod 600 \(path)")])
        }
        return String(decoding: data, as: UTF8.self)
    }

    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> [String: String] {
        var values: [String: String] = [:]
        var errors: [ConfigError] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: " \t") }
            guard let equals = line.firstIndex(of: "=") else {
                errors.append(ConfigError(SourceLocation(file: file, line: number + 1, column: 1), "expected NAME=value"))
                continue
            }
            let name = line[..<equals].trimmingCharacters(in: " \t")
            guard Interpolation.isValidName(name) else {
                errors.append(ConfigError(SourceLocation(file: file, line: number + 1, column: 1), "invalid variable name"))
                continue
            }
            var value = line[line.index(after: equals)...].trimmingCharacters(in: " \t")
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            values[name] = value
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return values
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}

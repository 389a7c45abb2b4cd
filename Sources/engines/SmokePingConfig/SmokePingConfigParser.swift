import EventModel
import Foundation
public import PipelineConfig

/// Reads SmokePing's configuration format the way Config::Grammar (SmokePing's parser) does:
/// lines trimmed, `#` to the end of a line is a comment, a trailing `\` continues a line,
/// `@include FILE` (relative to the including file's folder) and `@define NAME VALUE`
/// expand in place. Includes that loop are errors. Every error is `FILE:LINE:1: message`;
/// any error fails the whole read. Blocking file reads: call it off the cooperative pool.
public struct SmokePingConfigParser: Sendable {
    /// Reads a file's text; replaceable for tests.
    public var readFile: @Sendable (String) throws -> String
    /// Includes nested deeper than this are refused (a loop through links, say).
    public var maximumIncludeDepth = 32

    public init(readFile: @escaping @Sendable (String) throws -> String = SmokePingConfigParser.readFromDisk) {
        self.readFile = readFile
    }

    public static let readFromDisk: @Sendable (String) throws -> String = { path in
        guard let data = FileManager.default.contents(atPath: path) else { throw CannotRead() }
        return String(decoding: data, as: UTF8.self)
    }

    struct CannotRead: Error {}

    public func parse(file path: String) throws(ConfigErrors) -> SmokePingConfigDocument {
        var state = State()
        state.read(path, includedAt: nil, parser: self)
        state.closeSections(downTo: 0)
        if !state.errors.isEmpty { throw ConfigErrors(state.errors) }
        return SmokePingConfigDocument(sections: state.top, files: state.files)
    }

    /// Parses text as if it were the file `path` (its includes are read from disk).
    public func parse(text: String, file path: String) throws(ConfigErrors) -> SmokePingConfigDocument {
        var parser = self
        let outer = readFile
        parser.readFile = { $0 == path ? text : try outer($0) }
        return try parser.parse(file: path)
    }

    struct State {
        var top: [SmokePingConfigDocument.Section] = []
        /// The sections still open, outermost first.
        var open: [SmokePingConfigDocument.Section] = []
        var errors: [ConfigError] = []
        var files: [String] = []
        var includeStack: [String] = []
        var defines: [(name: String, value: String)] = []

        mutating func read(_ path: String, includedAt: SourceLocation?, parser: SmokePingConfigParser) {
            let place = includedAt ?? SourceLocation(file: path, line: 1, column: 1)
            let canonical = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
            if includeStack.contains(canonical) {
                errors.append(ConfigError(place, "@include loop: \(path) includes itself (through \(includeStack.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: " → ")))"))
                return
            }
            guard includeStack.count < parser.maximumIncludeDepth else {
                errors.append(ConfigError(place, "@include nested more than \(parser.maximumIncludeDepth) deep"))
                return
            }
            let text: String
            do { text = try parser.readFile(path) } catch {
                errors.append(ConfigError(place, includedAt == nil ? "cannot read the file" : "cannot read the included file \(path)"))
                return
            }
            files.append(path)
            includeStack.append(canonical)
            defer { includeStack.removeLast() }
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            var index = 0
            while index < lines.count {
                let location = SourceLocation(file: path, line: index + 1, column: 1)
                var line = Self.withoutComment(Self.trimmed(lines[index]))
                index += 1
                if line.isEmpty { continue }
                // Config::Grammar joins continued lines without looking for comments in them.
                while line.hasSuffix("\\") {
                    line.removeLast()
                    guard index < lines.count else { break }
                    line += " " + Self.trimmed(lines[index])
                    index += 1
                }
                handle(line, at: location, parser: parser)
            }
        }

        mutating func handle(_ raw: String, at location: SourceLocation, parser: SmokePingConfigParser) {
            if let included = Self.directive("@include", in: raw) {
                var name = included
                for quote in ["\"", "'"] where name.hasPrefix(quote) && name.hasSuffix(quote) && name.count >= 2 {
                    name = String(name.dropFirst().dropLast())
                }
                let path = name.hasPrefix("/") ? name : DurableFile.parent(of: location.file) + "/" + name
                read(path, includedAt: location, parser: parser)
                return
            }
            if let definition = Self.directive("@define", in: raw) {
                let parts = definition.split(separator: " ", maxSplits: 1).map { Self.trimmed($0) }
                guard parts.count == 2, !parts[0].isEmpty else {
                    errors.append(ConfigError(location, "@define needs a name and a value"))
                    return
                }
                defines.append((parts[0], parts[1]))
                return
            }
            var line = raw
            for (name, value) in defines { line = line.replacingOccurrences(of: name, with: value) }
            if line.hasPrefix("***"), line.hasSuffix("***"), line.count >= 6 {
                openSection(Self.trimmed(line.dropFirst(3).dropLast(3)), level: 1, at: location)
            } else if line.hasPrefix("+") {
                let pluses = line.prefix { $0 == "+" }.count
                openSection(Self.trimmed(line.dropFirst(pluses)), level: pluses + 1, at: location)
            } else if let equals = line.firstIndex(of: "="), case let key = Self.trimmed(line[..<equals]),
                      !key.isEmpty, !key.contains(where: \.isWhitespace) {
                set(key, Self.trimmed(line[line.index(after: equals)...]), at: location)
            } else if open.isEmpty {
                errors.append(ConfigError(location, "a line outside any *** Section ***"))
            } else {
                open[open.count - 1].rows.append((line, location))
            }
        }

        mutating func openSection(_ name: String, level: Int, at location: SourceLocation) {
            guard !name.isEmpty else {
                errors.append(ConfigError(location, "a section without a name"))
                return
            }
            guard level <= open.count + 1, level == 1 || !open.isEmpty else {
                let marks = String(repeating: "+", count: level - 1)
                errors.append(ConfigError(location, "section '\(marks) \(name)' is \(level - 1 - open.count) level(s) deeper than the section it is in"))
                return
            }
            closeSections(downTo: level - 1)
            let siblings = level == 1 ? top : open[open.count - 1].children
            if let first = siblings.first(where: { $0.name == name }) {
                errors.append(ConfigError(location, "section '\(name)' is defined twice here (first at \(first.location.file):\(first.location.line))"))
            }
            open.append(SmokePingConfigDocument.Section(name: name, level: level, location: location))
        }

        /// Closes open sections until `depth` remain, attaching each to its parent.
        mutating func closeSections(downTo depth: Int) {
            while open.count > depth {
                let section = open.removeLast()
                if open.isEmpty { top.append(section) } else { open[open.count - 1].children.append(section) }
            }
        }

        mutating func set(_ key: String, _ value: String, at location: SourceLocation) {
            guard !open.isEmpty else {
                errors.append(ConfigError(location, "setting '\(key)' outside any *** Section ***"))
                return
            }
            if let first = open[open.count - 1].setting(key) {
                errors.append(ConfigError(location, "'\(key)' is already set in this section (at \(first.location.file):\(first.location.line))"))
                return
            }
            open[open.count - 1].settings.append(.init(key: key, value: value, location: location))
        }

        static func directive(_ name: String, in line: String) -> String? {
            guard line.hasPrefix(name), line.count > name.count,
                  line[line.index(line.startIndex, offsetBy: name.count)].isWhitespace else { return nil }
            return trimmed(line.dropFirst(name.count))
        }

        static func trimmed(_ text: some StringProtocol) -> String {
            text.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// Config::Grammar's `s/\s*#.*$//`: a `#` anywhere starts a comment.
        static func withoutComment(_ line: String) -> String {
            guard let hash = line.firstIndex(of: "#") else { return line }
            return trimmed(line[..<hash])
        }
    }
}

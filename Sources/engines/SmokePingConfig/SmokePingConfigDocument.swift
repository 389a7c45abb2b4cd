public import PipelineConfig

/// A SmokePing configuration as Config::Grammar reads it, before any meaning is given to it:
/// `*** Section ***` blocks, `+`/`++`/… subsections at any depth, `key = value` settings and
/// table rows (the Database archives, the Presentation's time spans), each with its place.
public struct SmokePingConfigDocument: Sendable {
    public struct Setting: Sendable, Equatable {
        public var key: String
        public var value: String
        public var location: SourceLocation
    }

    public struct Section: Sendable {
        public var name: String
        /// 1 for `*** Name ***`, 2 for `+ name`, 3 for `++ name`, …
        public var level: Int
        public var location: SourceLocation
        public var settings: [Setting] = []
        /// Lines that are neither settings nor sections (tables).
        public var rows: [(text: String, location: SourceLocation)] = []
        public var children: [Section] = []

        public func setting(_ key: String) -> Setting? { settings.first { $0.key == key } }
        public func value(_ key: String) -> String? { setting(key)?.value }
        public func child(_ name: String) -> Section? { children.first { $0.name == name } }
    }

    /// The `*** … ***` sections in file order (includes expanded where they stand).
    public var sections: [Section]
    /// Every file read, the top one first (includes in the order met).
    public var files: [String]

    public func section(_ name: String) -> Section? { sections.first { $0.name == name } }
}

/// An option a job sets on one of its stages for one window, over the file's option of that name.
public struct WindowOption: Sendable, Equatable {
    public var key: String
    public var value: String
    /// Quoted, as in `since: "1738281600"`, so it reads as text where text is expected; false where
    /// the stage reads a boolean or a number (`flush_at_end: true`).
    public var isQuoted: Bool

    public init(_ key: String, _ value: String, isQuoted: Bool = true) {
        self.key = key
        self.value = value
        self.isQuoted = isQuoted
    }
}

/// A source type a job can point at one window: it says which options make it read exactly the
/// points stamped in `[from, to)` (nanoseconds since 1970), once, and end. Registering such a type
/// is what lets a job use it; the layers below know no component type.
public protocol RangedSourceConfiguration: SourceConfiguration {
    static func rangeOptions(from: Int64, to: Int64) -> [WindowOption]
}

/// A transform type a job can run over one window: it says which options make it emit everything
/// it holds when its input ends, so each window's run is complete.
public protocol WindowTransformConfiguration: TransformConfiguration {
    static var endOfInputOptions: [WindowOption] { get }
}

/// What a source throws when it read everything it could and only some items (files) failed,
/// each with its own message: a job then counts its window done for the rest and reports every
/// failed item (`JobRunner`), instead of holding each later window behind one bad file.
public protocol PartialSourceFailure: Error {
    var failedItems: [(item: String, message: String)] { get }
}

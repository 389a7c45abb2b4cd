/// A zstd failure; `offset` is the byte offset in the compressed input where it was noticed.
public struct ZstdError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int?

    public init(message: String, offset: Int? = nil) {
        self.message = message
        self.offset = offset
    }

    public var description: String {
        if let offset { return "\(message) (at compressed byte \(offset))" }
        return message
    }
}

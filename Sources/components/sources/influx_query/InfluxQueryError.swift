/// Why a query ended the `influx_query` source, for callers to match on; its description is one
/// line naming the server, never a credential.
public enum InfluxQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered an HTTP error status; `message` is what it said (its `error`), redacted.
    case status(server: String, code: UInt, message: String)
    /// An answer (HTTP 200) carrying InfluxDB's error: a bad query, a missing database.
    case failed(message: String)

    public var description: String {
        switch self {
        case .status(let server, let code, let message): return "\(server) answered HTTP \(code) to a query: \(message)"
        case .failed(let message): return "InfluxDB: \(message)"
        }
    }
}

import CNats

/// A libnats call that failed: its status text and JetStream's error code, never a URL with
/// credentials or a payload.
public struct NatsError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let status: Int32
    /// JetStream's error code (10058 "stream name already in use", …), 0 when none.
    public let jetStreamCode: Int32
    public let text: String

    init(_ operation: String, status: natsStatus, jetStreamCode: jsErrCode = jsErrCode(rawValue: 0)) {
        self.operation = operation
        self.status = Int32(bitPattern: status.rawValue)
        self.jetStreamCode = Int32(bitPattern: jetStreamCode.rawValue)
        text = String(cString: natsStatus_GetText(status))
    }

    /// No answer in time: the server is down, unreachable, or has no quorum for the stream.
    public var isTimeout: Bool { status == Int32(bitPattern: NATS_TIMEOUT.rawValue) }
    public var isNoResponders: Bool { status == Int32(bitPattern: NATS_NO_RESPONDERS.rawValue) }

    /// JetStream's "stream not found".
    public static let streamNotFound: Int32 = 10059

    public var description: String {
        "NATS \(operation): \(text)" + (jetStreamCode != 0 ? " (JetStream error \(jetStreamCode))" : "")
    }
}

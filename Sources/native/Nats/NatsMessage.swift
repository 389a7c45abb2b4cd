import CNats
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One JetStream message fetched by a pull consumer: its payload and headers copied out, and
/// the libnats message kept until it is acknowledged (`ack`, `nak`) or, unacknowledged, freed.
public final class NatsMessage: Sendable {
    struct Handle: @unchecked Sendable { let message: OpaquePointer }

    public let payload: [UInt8]
    public let headers: [String: String]
    /// The stream's sequence number of the message, and how often it has been delivered.
    public let streamSequence: UInt64
    public let deliveries: UInt64
    private let handle: Mutex<Handle?>
    /// Kept alive by every message it delivered: an ack goes through the subscription.
    private let subscription: NatsPullSubscription

    init(_ message: OpaquePointer, subscription: NatsPullSubscription) {
        let length = Int(natsMsg_GetDataLength(message))
        if let data = natsMsg_GetData(message), length > 0 {
            payload = data.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
        } else {
            payload = []
        }
        var headers: [String: String] = [:]
        var keys: UnsafeMutablePointer<UnsafePointer<CChar>?>?
        var count: Int32 = 0
        if natsMsgHeader_Keys(message, &keys, &count) == NATS_OK, let keys {
            for index in 0..<Int(count) {
                guard let key = keys[index] else { continue }
                var value: UnsafePointer<CChar>?
                if natsMsgHeader_Get(message, key, &value) == NATS_OK, let value { headers[String(cString: key)] = String(cString: value) }
            }
            free(keys)
        }
        self.headers = headers
        var sequence: UInt64 = 0
        var delivered: UInt64 = 0
        _ = smokeflow_js_message_position(message, &sequence, &delivered)
        streamSequence = sequence
        deliveries = delivered
        handle = Mutex(Handle(message: message))
        self.subscription = subscription
    }

    deinit {
        if let handle = handle.withLock({ $0.take() }) { natsMsg_Destroy(handle.message) }
    }

    /// Done with: JetStream will not deliver it again. Once only; later calls do nothing.
    public func ack() async throws {
        try await settle("ack") { natsMsg_Ack($0, nil) }
    }

    /// Not done: JetStream delivers it again after `delay` (to this or another consumer).
    public func nak(delay: Duration) async throws {
        let milliseconds = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
        try await settle("nak") { natsMsg_NakWithDelay($0, milliseconds, nil) }
    }

    /// Never to be delivered again, and not done with either (a message that cannot be read):
    /// it stays in the stream for an operator to look at.
    public func terminate() async throws {
        try await settle("term") { natsMsg_Term($0, nil) }
    }

    /// Still being worked on: JetStream starts its `ack_wait` again, so a long piece of work
    /// (a whole RRD file) is not delivered to another consumer meanwhile. Does nothing once the
    /// message is settled.
    public func inProgress() async throws {
        let status = try await subscription.connection.onThread { [self] () -> natsStatus in
            // Looked up on the connection's thread, where a settle also frees the message.
            guard let message = self.handle.withLock({ $0?.message }) else { return NATS_OK }
            return natsMsg_InProgress(message, nil)
        }
        guard status == NATS_OK else { throw NatsError("in progress", status: status) }
    }

    private func settle(_ operation: String, _ call: @escaping @Sendable (OpaquePointer) -> natsStatus) async throws {
        guard let handle = handle.withLock({ $0.take() }) else { return }
        // An ack is a publish on the connection: it can wait on a full reconnect buffer, so it
        // runs on the connection's thread, never on the caller's.
        let status = try await subscription.connection.onThread {
            let status = call(handle.message)
            natsMsg_Destroy(handle.message)
            return status
        }
        guard status == NATS_OK else { throw NatsError(operation, status: status) }
    }
}

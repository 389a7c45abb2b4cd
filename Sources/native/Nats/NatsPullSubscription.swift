import CNats
import NIOPosix
import Synchronization

/// A durable pull consumer: fetches wait on a thread of their own (a fetch blocks until
/// messages come or its timeout), so acknowledgements, on the connection's thread, never
/// queue behind one.
public final class NatsPullSubscription: Sendable {
    struct Handle: @unchecked Sendable { let subscription: OpaquePointer }

    public struct Settings: Sendable {
        public var stream: String
        public var subject: String
        public var durable: String
        /// How long JetStream waits for an ack before it delivers the message again.
        public var ackWait: Duration = .seconds(30)
        /// At most this many messages delivered and not yet acknowledged: the backpressure.
        public var maxAckPending = 64
        /// Deliveries before JetStream gives up on a message; -1 for never.
        public var maxDeliver = -1

        public init(stream: String, subject: String, durable: String) {
            self.stream = stream
            self.subject = subject
            self.durable = durable
        }
    }

    let connection: NatsConnection
    private let handle: Handle
    private let fetcher: NIOThreadPool
    private let destroyed = Mutex(false)

    private init(connection: NatsConnection, handle: Handle, fetcher: NIOThreadPool) {
        self.connection = connection
        self.handle = handle
        self.fetcher = fetcher
    }

    public static func subscribe(_ connection: NatsConnection, _ settings: Settings) async throws -> NatsPullSubscription {
        let connectionHandle = connection.handle
        let handle = try await connection.onThread { () throws -> Handle in
            var subscription: OpaquePointer?
            var code = jsErrCode(rawValue: 0)
            let status = smokeflow_js_pull_subscribe(
                &subscription, connectionHandle.jetStream, settings.stream, settings.subject, settings.durable, settings.ackWait.nanoseconds,
                Int64(settings.maxAckPending), Int64(settings.maxDeliver), &code)
            guard status == NATS_OK, let subscription else {
                throw NatsError("consumer \(settings.durable) on \(settings.stream)", status: status, jetStreamCode: code)
            }
            return Handle(subscription: subscription)
        }
        let fetcher = NIOThreadPool(numberOfThreads: 1)
        fetcher.start()
        return NatsPullSubscription(connection: connection, handle: handle, fetcher: fetcher)
    }

    deinit {
        // The last message holding it is gone: nothing can ack through it any more.
        smokeflow_nats_unsubscribe(handle.subscription)
        fetcher.shutdownGracefully { _ in }
    }

    /// Up to `batch` messages; none when `timeout` passes first. A connection that is down
    /// answers as a timeout does, so the caller simply asks again.
    public func fetch(batch: Int, timeout: Duration) async throws -> [NatsMessage] {
        let handle = handle
        let milliseconds = timeout.milliseconds
        let raw = try await fetcher.runIfActive { () throws -> [UInt] in
            var messages = [OpaquePointer?](repeating: nil, count: batch)
            var count: Int32 = 0
            var code = jsErrCode(rawValue: 0)
            let status = messages.withUnsafeMutableBufferPointer {
                smokeflow_js_fetch(handle.subscription, Int32(batch), milliseconds, $0.baseAddress, &count, &code)
            }
            if status == NATS_TIMEOUT || status == NATS_CONNECTION_DISCONNECTED || status == NATS_NO_RESPONDERS { return [] }
            guard status == NATS_OK else { throw NatsError("fetch", status: status, jetStreamCode: code) }
            return messages.prefix(Int(count)).map { UInt(bitPattern: $0) }
        }
        return raw.map { NatsMessage(OpaquePointer(bitPattern: $0)!, subscription: self) }
    }
}

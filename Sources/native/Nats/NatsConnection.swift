import CNats
import NIOPosix
import Synchronization

/// One NATS connection with its JetStream context. libnats blocks (a publish waits for its
/// acknowledgement, a fetch for messages), so every call runs on the connection's own thread,
/// never on an event loop or the cooperative pool. It reconnects forever by itself; a call made
/// while it is down waits or times out and is the caller's to retry.
public final class NatsConnection: Sendable {
    struct Handle: @unchecked Sendable {
        let connection: OpaquePointer
        let jetStream: OpaquePointer
    }

    let handle: Handle
    let thread: NIOThreadPool
    /// How long a JetStream call waits for its answer.
    public let wait: Duration
    private let closed = Mutex(false)

    private init(handle: Handle, thread: NIOThreadPool, wait: Duration) {
        self.handle = handle
        self.thread = thread
        self.wait = wait
    }

    /// Connects to `urls` (`nats://host:port`, several for a cluster). Succeeds while the
    /// servers are down too: the connection keeps trying in the background.
    public static func connect(urls: [String], name: String, domain: String? = nil, wait: Duration = .seconds(5)) async throws -> NatsConnection {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        let waitMilliseconds = wait.milliseconds
        do {
            let handle = try await thread.runIfActive { () throws -> Handle in
                var connection: OpaquePointer?
                var jetStream: OpaquePointer?
                let status = withCStringArray(urls) { smokeflow_nats_connect(&connection, &jetStream, $0, Int32(urls.count), name, domain, waitMilliseconds) }
                guard status == NATS_OK, let connection, let jetStream else { throw NatsError("connect", status: status) }
                return Handle(connection: connection, jetStream: jetStream)
            }
            return NatsConnection(handle: handle, thread: thread, wait: wait)
        } catch {
            try? await thread.shutdownGracefully()
            throw error
        }
    }

    deinit {
        if !closed.withLock({ $0 }) { smokeflow_nats_close(handle.connection, handle.jetStream) }
        thread.shutdownGracefully { _ in }
    }

    /// Closes the connection once; calls after it fail.
    public func close() async {
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        let handle = handle
        _ = try? await thread.runIfActive { smokeflow_nats_close(handle.connection, handle.jetStream) }
    }

    func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        guard !closed.withLock({ $0 }) else { throw NatsError("call", status: NATS_CONNECTION_CLOSED) }
        return try await thread.runIfActive(body)
    }

    /// What JetStream answered to a publish.
    public struct Published: Sendable {
        public let sequence: UInt64
        /// A message with this id was stored before (within the duplicate window): not stored again.
        public let duplicate: Bool
    }

    /// Publishes `payload` to `subject` and returns once JetStream has stored it (replicated as
    /// the stream is). `messageID` is JetStream's `Nats-Msg-Id`: a resend is dropped as a duplicate.
    public func publish(subject: String, payload: [UInt8], messageID: String, headers: [(String, String)] = []) async throws -> Published {
        let handle = handle
        let waitMilliseconds = wait.milliseconds
        return try await onThread {
            var sequence: UInt64 = 0
            var duplicate = false
            var code = jsErrCode(rawValue: 0)
            let status = withCStringArray(headers.map(\.0)) { names in
                withCStringArray(headers.map(\.1)) { values in
                    payload.withUnsafeBytes { bytes in
                        smokeflow_js_publish(
                            handle.jetStream, subject, bytes.baseAddress, Int32(bytes.count), messageID, names, values, Int32(headers.count),
                            waitMilliseconds, &sequence, &duplicate, &code)
                    }
                }
            }
            guard status == NATS_OK else { throw NatsError("publish to \(subject)", status: status, jetStreamCode: code) }
            return Published(sequence: sequence, duplicate: duplicate)
        }
    }

    /// Creates the stream, or updates one of that name whose settings differ.
    public func ensureStream(_ settings: NatsStreamSettings) async throws {
        let handle = handle
        return try await onThread {
            var code = jsErrCode(rawValue: 0)
            let status = withCStringArray(settings.subjects) { subjects in
                withCStringArray(settings.sourceDomains) { domains in
                    smokeflow_js_ensure_stream(
                        handle.jetStream, settings.name, subjects, Int32(settings.subjects.count), settings.retention == .workQueue, settings.memory,
                        Int64(settings.replicas), settings.maxAge.nanoseconds, settings.maxBytes, settings.duplicateWindow.nanoseconds,
                        settings.sourceStream ?? settings.name, domains, Int32(settings.sourceDomains.count), &code)
                }
            }
            guard status == NATS_OK else { throw NatsError("stream \(settings.name)", status: status, jetStreamCode: code) }
        }
    }

    /// How many messages and bytes the stream holds.
    public func streamState(_ name: String) async throws -> (messages: UInt64, bytes: UInt64) {
        let handle = handle
        return try await onThread {
            var messages: UInt64 = 0
            var bytes: UInt64 = 0
            var code = jsErrCode(rawValue: 0)
            let status = smokeflow_js_stream_state(handle.jetStream, name, &messages, &bytes, &code)
            guard status == NATS_OK else { throw NatsError("stream \(name)", status: status, jetStreamCode: code) }
            return (messages, bytes)
        }
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}

/// `strings` as a C array of C strings for the duration of `body`.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { for copy in copies { free(copy) } }
    var pointers = copies.map { UnsafePointer<CChar>($0) }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}

import SmokeflowTesting
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// An HTTP proxy in front of a real InfluxDB that answers the first requests with a chosen
/// failure (429/503 with Retry-After, any status with headers and a body, a redirect) and
/// forwards the rest, and can refuse connections for a while (`pause`, `resume`): the faults a
/// real network, a reverse proxy and a loaded server produce, around the real server.
final class FaultProxy: Sendable {
    enum Fault: Sendable {
        case status(UInt, retryAfter: Int?)
        /// This status with these headers (a redirect's Location, a Retry-After of any text) and body.
        case answer(UInt, headers: [String: String] = [:], body: String = "")
        /// This request goes through to the upstream.
        case forward
    }

    let upstream: String
    let faults: Mutex<[Fault]>
    /// What every request gets once `faults` is used up; nil forwards them.
    let afterwards: Fault?
    let requestTimes = Mutex<[ContinuousClock.Instant]>([])
    /// Every request's headers (names lower-cased) and body, in arrival order.
    let requests = Mutex<[RecordedRequest]>([])
    private let channel: Mutex<(any Channel)?> = Mutex(nil)
    /// The port, kept while paused so `resume` binds the same one.
    private let boundPort = Mutex(0)
    /// Accepted connections, closed by `pause` so a pooled keep-alive connection cannot bypass it.
    private let connections = Mutex<[any Channel]>([])

    init(upstream: String, faults: [Fault], afterwards: Fault? = nil) {
        self.upstream = upstream
        self.faults = Mutex(faults)
        self.afterwards = afterwards
    }

    var port: Int { boundPort.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port)" }

    func start() async throws {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                self.connections.withLock { $0.append(channel) }
                return channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(ProxyHandler(proxy: self))
                }
            }
        let bound = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        channel.withLock { $0 = bound }
        boundPort.withLock { $0 = bound.localAddress?.port ?? 0 }
    }

    func stop() async {
        let bound = channel.withLock { $0 }
        try? await bound?.close()
    }

    /// Closes the listener and every connection: connects are refused until `resume`.
    func pause() async {
        let bound = channel.withLock { channel in
            defer { channel = nil }
            return channel
        }
        try? await bound?.close()
        for connection in connections.withLock({ $0 }) { try? await connection.close() }
        connections.withLock { $0.removeAll() }
    }

    /// Listens on the same port again.
    func resume() async throws { try await start() }

    /// The next fault, if any are left.
    func nextFault(_ head: HTTPRequestHead, body: ByteBuffer) -> Fault? {
        requestTimes.withLock { $0.append(.now) }
        var headers: [String: String] = [:]
        for (name, value) in head.headers { headers[name.lowercased()] = value }
        requests.withLock { $0.append(RecordedRequest(headers: headers, body: Data(body.readableBytesView))) }
        return faults.withLock { $0.isEmpty ? afterwards : $0.removeFirst() }
    }
}

/// A request as the proxy received it.
struct RecordedRequest: Sendable {
    var headers: [String: String]
    var body: Data
    /// The body's top-level JSON values as text (`null` as `<null>`).
    var json: [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return [:] }
        return object.mapValues { "\($0)" }
    }
}

private final class ProxyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let proxy: FaultProxy
    var head: HTTPRequestHead?
    var body = ByteBuffer()

    init(proxy: FaultProxy) { self.proxy = proxy }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            switch proxy.nextFault(head, body: body) {
            case .status(let code, let retryAfter):
                var headers = HTTPHeaders([("Content-Length", "0")])
                if let retryAfter { headers.add(name: "Retry-After", value: "\(retryAfter)") }
                respond(loopBound.value, status: HTTPResponseStatus(statusCode: Int(code)), headers: headers, body: ByteBuffer())
                return
            case .answer(let code, let extra, let text):
                var headers = HTTPHeaders([("Content-Length", "\(text.utf8.count)")])
                for (name, value) in extra { headers.add(name: name, value: value) }
                respond(loopBound.value, status: HTTPResponseStatus(statusCode: Int(code)), headers: headers, body: ByteBuffer(string: text))
                return
            case .forward, nil:
                break
            }
            let upstream = proxy.upstream
            let requestBody = body
            let eventLoop = context.eventLoop
            Task {
                var request = HTTPClientRequest(url: upstream + head.uri)
                request.method = head.method
                for (name, value) in head.headers where name.lowercased() != "host" { request.headers.add(name: name, value: value) }
                request.body = .bytes(requestBody)
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                let bytes = try await response.body.collect(upTo: 1 << 20)
                var collected = HTTPHeaders()
                for (name, value) in response.headers where !["content-length", "transfer-encoding", "connection"].contains(name.lowercased()) {
                    collected.add(name: name, value: value)
                }
                collected.add(name: "Content-Length", value: "\(bytes.readableBytes)")
                let headers = collected
                eventLoop.execute {
                    self.respond(loopBound.value, status: response.status, headers: headers, body: bytes)
                }
            }
        }
    }

    func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer) {
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

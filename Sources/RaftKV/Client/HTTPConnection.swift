import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// An HTTP response, body collected.
public struct HTTPReply: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields in order (names as the server wrote them).
    public var headers: [(name: String, value: String)]
    /// The body bytes.
    public var body: [UInt8]

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Why an HTTP exchange failed before a response arrived.
public enum HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// No response within the timeout (the connection was closed).
    case timeout
    /// The connection closed or failed before the whole response arrived; `receivedAny` tells
    /// whether any of it had arrived.
    case connectionClosed(receivedAny: Bool)
    /// The address could not be parsed or reached.
    case connect(String)

    /// The failure, for people.
    public var description: String {
        switch self {
        case .timeout: return "no HTTP response within the timeout"
        case .connectionClosed: return "the HTTP connection closed before the response was complete"
        case .connect(let reason): return "could not connect: \(reason)"
        }
    }
}

/// One HTTP/1.1 keep-alive connection: requests go one at a time, each answered before the
/// next is sent.
public final class HTTPConnection: Sendable {
    let channel: any Channel
    /// `host:port` of the server, sent as the Host header.
    public let authority: String

    init(channel: any Channel, authority: String) {
        self.channel = channel
        self.authority = authority
    }

    /// Opens a connection to `host:port` (TLS when `tls` is set).
    public static func connect(
        host: String, port: Int, tls: NIOSSLContext? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: Duration = .seconds(2)
    ) async throws -> HTTPConnection {
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.nanoseconds(Int64(connectTimeout.components.seconds) * 1_000_000_000 + connectTimeout.components.attoseconds / 1_000_000_000))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: host.first?.isNumber == true ? nil : host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ReplyCollector())
                }
            }
        do {
            let channel = try await bootstrap.connect(host: host, port: port).get()
            return HTTPConnection(channel: channel, authority: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        } catch {
            throw HTTPClientError.connect("\(host):\(port): \(error)")
        }
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Sends one request and waits for its response; past `timeout` the connection is closed
    /// and the call fails with ``HTTPClientError/timeout``.
    public func send(
        method: HTTPMethod, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Duration
    ) async throws -> HTTPReply {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: authority)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.replaceOrAdd(name: "Content-Length", value: String(body.count)) } else if method == .POST || method == .PUT {
            head.headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        let promise = channel.eventLoop.makePromise(of: HTTPReply.self)
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)) {
            promise.fail(HTTPClientError.timeout)
            channel.close(promise: nil)
        }
        let request = OutgoingRequest(head: head, body: body.map { channel.allocator.buffer(bytes: $0) }, promise: promise)
        channel.writeAndFlush(request).whenFailure { error in promise.fail(error) }
        defer { timer.cancel() }
        return try await promise.futureResult.get()
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }
}

/// A request handed to the pipeline with the promise its response completes.
struct OutgoingRequest {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var promise: EventLoopPromise<HTTPReply>
}

/// Writes requests and collects each response into the oldest waiting promise.
final class ReplyCollector: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = OutgoingRequest
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting = CircularBuffer<EventLoopPromise<HTTPReply>>()
    private var status = 0
    private var headers: [(name: String, value: String)] = []
    private var body: [UInt8] = []
    private var receivedAny = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        waiting.append(request.promise)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receivedAny = true
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            headers = head.headers.map { ($0.name, $0.value) }
            body = []
        case .body(var buffer):
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            let reply = HTTPReply(status: status, headers: headers, body: body)
            receivedAny = false
            body = []
            if let promise = waiting.popFirst() { promise.succeed(reply) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(HTTPClientError.connectionClosed(receivedAny: receivedAny))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let promise = waiting.popFirst() { promise.fail(error) }
    }
}

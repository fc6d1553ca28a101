import Foundation
import HTTPTypes
public import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// The limits a node puts on each client connection (issue 15): a slow or hostile client cannot
/// hold descriptors, and a malformed request is answered at once.
public struct ConnectionLimits: Codable, Sendable, Equatable {
    /// Connections open at once from one address; more are closed as they arrive.
    public var perAddressMax: Int
    /// A connection that sends nothing for this long is closed: a request's head that has not
    /// arrived in full, a body that stalls, a keep-alive connection at rest.
    public var idleSeconds: Int
    /// From a request's head to the end of its body: the longest a request may take to arrive,
    /// however it trickles (a peer's 8 MiB packet needs about a second on a slow office link),
    /// plus the time its body's bytes need at `minimumBytesPerSecond`.
    public var requestSeconds: Int
    /// The slowest rate a large body (a 200 MB scan) may arrive at: each byte received extends
    /// the request's time by 1/rate, so an upload at a usable speed is never cut while a body
    /// that trickles gains almost nothing (default 64 KiB/s; 1 KiB/s to 1 GiB/s).
    public var minimumBytesPerSecond: Int

    public init(perAddressMax: Int = 64, idleSeconds: Int = 15, requestSeconds: Int = 60, minimumBytesPerSecond: Int = 64 << 10) {
        self.perAddressMax = perAddressMax
        self.idleSeconds = idleSeconds
        self.requestSeconds = requestSeconds
        self.minimumBytesPerSecond = minimumBytesPerSecond
    }

    public init(from decoder: any Decoder) throws {
        let defaults = ConnectionLimits()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        perAddressMax = try c.decodeIfPresent(Int.self, forKey: .perAddressMax) ?? defaults.perAddressMax
        idleSeconds = try c.decodeIfPresent(Int.self, forKey: .idleSeconds) ?? defaults.idleSeconds
        requestSeconds = try c.decodeIfPresent(Int.self, forKey: .requestSeconds) ?? defaults.requestSeconds
        minimumBytesPerSecond = try c.decodeIfPresent(Int.self, forKey: .minimumBytesPerSecond) ?? defaults.minimumBytesPerSecond
    }

    /// What is wrong with these limits (the field and why), or nil.
    public var problem: (field: String, detail: String)? {
        if !(1...100_000).contains(perAddressMax) { return ("connections.perAddressMax", "between 1 and 100000") }
        if !(1...3_600).contains(idleSeconds) { return ("connections.idleSeconds", "between 1 and 3600 seconds") }
        if !(1...3_600).contains(requestSeconds) { return ("connections.requestSeconds", "between 1 and 3600 seconds") }
        if !(1 << 10...1 << 30).contains(minimumBytesPerSecond) {
            return ("connections.minimumBytesPerSecond", "between 1024 and 1073741824 bytes a second")
        }
        return nil
    }

    /// The count of open connections per address these limits keep (`exempt` uncapped), for a
    /// server and for whoever reads how many are open (`ShutdownWatchdog`).
    public func registry(exempt: Set<String> = []) -> ConnectionRegistry {
        ConnectionRegistry(perAddressMax: perAddressMax, exempt: exempt)
    }

    /// The HTTP/1 server with these limits: Hummingbird's idle time-out, and a `ConnectionGuard`
    /// per connection sharing one count of connections per address (`registry`'s, or a new one).
    /// A trusted proxy (`exempt`) carries many clients on its connections and is not capped.
    public func server(registry: ConnectionRegistry? = nil, exempt: Set<String> = []) -> HTTPServerBuilder {
        let registry = registry ?? self.registry(exempt: exempt)
        let limits = self
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [ConnectionGuard(limits: limits, registry: registry)],
                idleTimeout: .seconds(Int64(idleSeconds))
            )
        )
    }
}

/// The open connections per client address, shared by every connection's guard. Its size is
/// bounded by the open connections themselves: an address leaves it with its last connection.
public final class ConnectionRegistry: Sendable {
    let perAddressMax: Int
    let exempt: Set<String>
    private let open = Mutex<[String: Int]>([:])

    public init(perAddressMax: Int, exempt: Set<String> = []) {
        self.perAddressMax = perAddressMax
        self.exempt = exempt
    }

    /// Counts a new connection from `address`; false (not counted) when it has its maximum.
    func admit(_ address: String) -> Bool {
        open.withLock { table in
            let count = table[address, default: 0]
            guard count < perAddressMax || exempt.contains(address) else { return false }
            table[address] = count + 1
            return true
        }
    }

    func release(_ address: String) {
        open.withLock { table in
            let count = table[address, default: 0] - 1
            table[address] = count > 0 ? count : nil
        }
    }

    /// Connections open now (for tests and metrics).
    public var count: Int { open.withLock { $0.values.reduce(0, +) } }
}

/// One connection's guard, behind the HTTP codec: refuses a connection over its address's
/// maximum, closes a request that takes longer than `requestSeconds` (plus its body's bytes at
/// `minimumBytesPerSecond`) to arrive, answers a
/// request the codec cannot parse (a bad chunk size, say) with 400 and a `CONNECT` with 405, and
/// closes the connection after either, so no malformed request waits for the client to give up.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let limits: ConnectionLimits
    let registry: ConnectionRegistry
    private var address: String?
    private var requestDeadline: Scheduled<Void>?
    /// When the current request's head arrived, its body bytes so far, and when it must end.
    private var requestStart = NIODeadline.now()
    private var bodyBytes = 0
    private var requestEnd = NIODeadline.now()
    private var responding = false
    private var refusing = false
    /// Closes the connection when its client has read nothing for `idleSeconds` while an answer
    /// waits to be written (the socket's buffers full, NIO's over its high-water mark).
    private var writeStall: Scheduled<Void>?

    init(limits: ConnectionLimits, registry: ConnectionRegistry) {
        self.limits = limits
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard registry.admit(address) else {
            context.close(promise: nil)
            return
        }
        self.address = address
    }

    func handlerRemoved(context: ChannelHandlerContext) { release() }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    /// The connection is over: its deadline ends and its address is counted once less (once).
    private func release() {
        requestDeadline?.cancel()
        writeStall?.cancel()
        writeStall = nil
        if let address { registry.release(address) }
        address = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            if head.method == .connect {
                refuse(context, status: .methodNotAllowed)
                return
            }
            requestStart = .now()
            bodyBytes = 0
            schedule(context, end: requestStart + .seconds(Int64(limits.requestSeconds)))
        case .end:
            requestDeadline?.cancel()
            requestDeadline = nil
        case .body(let buffer):
            // The body's bytes buy time at the minimum rate; moved a second at a time at most.
            bodyBytes += buffer.readableBytes
            let earned =
                requestStart + .seconds(Int64(limits.requestSeconds)) + .milliseconds(Int64(bodyBytes) * 1000 / Int64(limits.minimumBytesPerSecond))
            if requestDeadline != nil, earned - requestEnd >= .seconds(1) { schedule(context, end: earned) }
        }
        context.fireChannelRead(data)
    }

    /// Closes the connection at `end` unless the request has arrived by then.
    private func schedule(_ context: ChannelHandlerContext, end: NIODeadline) {
        let channel = context.channel
        requestDeadline?.cancel()
        requestEnd = end
        requestDeadline = context.eventLoop.scheduleTask(deadline: end) { channel.close(promise: nil) }
    }

    /// A client that stops reading an answer (a large download, an export) holds its connection,
    /// the answer's buffers and the handler writing it, and a graceful shutdown waits for that
    /// handler: the connection is closed once it has been unwritable for `idleSeconds` on end,
    /// the rule a request's arrival already follows (a client reading slowly but steadily makes
    /// the connection writable again and restarts the count).
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeStall?.cancel()
            writeStall = nil
        } else if writeStall == nil {
            let channel = context.channel
            writeStall = context.eventLoop.scheduleTask(in: .seconds(Int64(limits.idleSeconds))) { channel.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head: responding = true
        case .end: responding = false
        case .body: break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            refuse(context, status: .badRequest)
            return
        }
        context.fireErrorCaught(error)
    }

    /// Answers `status` unless a response is under way, and closes the connection.
    func refuse(_ context: ChannelHandlerContext, status: HTTPResponse.Status) {
        guard !refusing else { return }
        refusing = true
        requestDeadline?.cancel()
        guard !responding else {
            context.close(promise: nil)
            return
        }
        let head = HTTPResponse(status: status, headerFields: [.connection: "close", .contentLength: "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

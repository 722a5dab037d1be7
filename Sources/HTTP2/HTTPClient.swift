import MTLS
import Synchronization

/// An HTTP/2 client over mutual TLS, in the spirit of AsyncHTTPClient.
///
/// Requests to one host and port share a connection; another is opened only when every open one
/// has reached the server's MAX_CONCURRENT_STREAMS (up to `maxConnectionsPerHost`), and idle
/// connections close themselves. Requests the server refused before processing them
/// (REFUSED_STREAM, streams above a GOAWAY) are sent again automatically, on a new connection when
/// the old one is going away; other failures say whether a retry is safe.
/// Make one client, share it, and call `shutdown()` when done.
public final class HTTPClient: Sendable {
    /// How the client connects.
    public struct Configuration: Sendable {
        /// TLS settings: trust roots, client identity. ALPN is forced to `h2`.
        public var tls: TLSConfiguration
        /// Dial other addresses for some hosts, like curl's `--connect-to`; the rules of
        /// `GMTLS_CONNECT_TO` are added after these.
        public var connectTo: [ConnectTo]
        /// Time allowed for TCP connect plus TLS handshake.
        public var connectTimeout: Duration
        /// Connections to one host at most; requests beyond their stream limits queue, first come first served.
        public var maxConnectionsPerHost: Int
        /// A connection with no stream for this long closes itself.
        public var idleTimeout: Duration
        /// The loops connections run on, one picked per connection.
        public var eventLoopGroup: EventLoopGroup
        /// Send a PING this often on each connection (nil, the default: never) ...
        public var pingInterval: Duration?
        /// ... and close a connection whose PING is not answered within this time, failing its streams.
        public var pingTimeout: Duration
        /// Where connection (debug) and stream (trace) events go; silent by default.
        public var logger: ClientLogger
        /// Whether a server that does not offer `h2` (by ALPN, or offering no ALPN) is spoken to in
        /// HTTP/1.1 (the default); false refuses such servers with `noApplicationProtocol`.
        public var allowHTTP1: Bool
        /// The proxy for connections; nil (the default) takes it from `HTTPS_PROXY` / `https_proxy`
        /// / `ALL_PROXY` with `NO_PROXY`, as curl does. The client certificate goes end to end, never to the proxy.
        public var proxy: ProxySettings?
        /// Responses are asked for gzip (`accept-encoding`) and inflated as they are read, up to
        /// this many bytes (a guard against decompression bombs); nil turns it off. A request that
        /// sets its own `accept-encoding` (media downloads send `identity`) is left alone.
        public var decompressionLimit: Int?
        /// Redirects followed for GET and HEAD (301, 302, 303, 307, 308), never to plain http;
        /// `authorization` is dropped when one leads to another host. 0 turns them off.
        public var redirectLimit: Int

        /// Safe defaults: system trust, no client identity, 10 s to connect, 8 connections per host,
        /// 60 s idle timeout, the process-wide loops.
        public init(tls: TLSConfiguration = TLSConfiguration(), connectTo: [ConnectTo] = [],
                    connectTimeout: Duration = .seconds(10), maxConnectionsPerHost: Int = 8,
                    idleTimeout: Duration = .seconds(60), eventLoopGroup: EventLoopGroup = .shared) {
            self.tls = tls
            self.connectTo = connectTo
            self.connectTimeout = connectTimeout
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.idleTimeout = idleTimeout
            self.eventLoopGroup = eventLoopGroup
            self.pingInterval = nil
            self.pingTimeout = .seconds(20)
            self.logger = .silent
            self.redirectLimit = 10
            self.allowHTTP1 = true
            self.decompressionLimit = 64 << 20
        }
    }

    /// The configuration the client was made with.
    public let configuration: Configuration
    private let context: TLSContext

    /// A host's connections: those ready for new streams, and the one being established.
    private struct HostPool {
        var ready: [any PooledConnection] = []
        var connecting: Task<any PooledConnection, any Error>?
    }
    private let pools = Locked<[HTTPRequest.Target.Key: HostPool]>([:])
    /// Connections no longer handed out that still finish their streams; closed on shutdown.
    private let draining = Locked<[ObjectIdentifier: any PooledConnection]>([:])
    private let isShutDown = Atomic<Bool>(false)

    /// Prepares the TLS context (loads trust roots and checks the identity); no connection yet.
    public init(configuration: Configuration = Configuration()) throws {
        var configuration = configuration
        configuration.connectTo += try ConnectTo.fromEnvironment()
        if configuration.proxy == nil { configuration.proxy = try ProxySettings.fromEnvironment() }
        // h2 first; http/1.1 too unless forbidden (then a server without h2 fails the handshake check).
        configuration.tls.applicationProtocols = configuration.allowHTTP1 ? ["h2", "http/1.1"] : ["h2"]
        configuration.tls.requireApplicationProtocol = !configuration.allowHTTP1
        configuration.maxConnectionsPerHost = max(1, configuration.maxConnectionsPerHost)
        self.configuration = configuration
        context = try TLSContext(configuration: configuration.tls)
    }

    /// Sends `request` and returns once the response head arrived; `timeout` bounds the whole
    /// exchange, body and redirects included. Cancelling the task resets the stream.
    public func execute(_ request: HTTPRequest, timeout: Duration = .seconds(30)) async throws -> HTTPResponse {
        let deadline = ContinuousClock.now + timeout
        var request = request
        let inflating = configuration.decompressionLimit != nil && request.headers.first(name: "accept-encoding") == nil
        if inflating { request.headers.add(name: "accept-encoding", value: "gzip, deflate") }
        var hops = 0
        while true {
            let response = try await send(request, deadline: deadline)
            guard let next = try Redirect.next(after: request, response: response, limit: configuration.redirectLimit) else {
                return inflating ? response.inflated(limit: configuration.decompressionLimit ?? 0) : response
            }
            hops += 1
            guard hops <= configuration.redirectLimit else {
                throw HTTPClientError(.tooManyRedirects, "more than \(configuration.redirectLimit) redirects, the last to \(next.url)")
            }
            configuration.logger.log(.debug, "following a redirect", ["status": "\(response.status)", "location": next.url])
            _ = try? await response.body.collect(upTo: 1 << 20)   // read the redirect's own small body, freeing the stream
            request = next
        }
    }

    /// One request, without following redirects; refused streams are retried.
    private func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws -> HTTPResponse {
        let target = try request.target()
        let start = ContinuousClock.now
        var attempt = 0
        while true {
            attempt += 1
            do {
                let (connection, placement, setup) = try await place(request, target: target, deadline: deadline)
                let delivery: ResponseDelivery
                switch placement {
                case .sent(let sent): delivery = sent
                case .reserved, .queued:
                    delivery = try await attempting(on: connection, for: target) {
                        try await connection.send(request, target: target, deadline: deadline, reserved: placement.isReserved)
                    }
                }
                let body = delivery.completeBody.map { HTTPResponse.Body(storage: .complete($0, trailers: delivery.trailers)) }
                    ?? HTTPResponse.Body(storage: .streaming(StreamLease(connection: connection, id: delivery.id)))
                let metrics = RequestMetrics(newConnection: setup, timeToFirstByte: ContinuousClock.now - start,
                                             requestBodyBytes: request.body.length, attempts: attempt)
                return HTTPResponse(status: delivery.head.status, headers: delivery.head.headers, body: body,
                                    metrics: metrics)
            } catch let error as HTTPClientError where error.isRetrySafe && attempt < 3 && ContinuousClock.now < deadline {
                configuration.logger.log(.debug, "retrying a request the server did not process",
                                         ["authority": target.authority, "attempt": "\(attempt + 1)", "reason": error.message])
            }
        }
    }

    /// Runs an attempt on `connection`. A refused stream is retried, and on a new connection only
    /// if this one is going away: then the pool stops handing it out.
    private func attempting<T>(on connection: any PooledConnection, for target: HTTPRequest.Target,
                               _ attempt: () async throws -> T) async throws -> T {
        do {
            return try await attempt()
        } catch let error as HTTPClientError where error.isRetrySafe {
            if !(await connection.isAvailable) { forget(connection, for: target) }
            throw error
        }
    }

    /// Closes every connection (sending GOAWAY); requests in flight fail with `shutdown`.
    public func shutdown() async {
        isShutDown.store(true, ordering: .sequentiallyConsistent)
        let (ready, connecting) = pools.withLock { pools in
            defer { pools.removeAll() }
            return (pools.values.flatMap(\.ready), pools.values.compactMap(\.connecting))
        }
        let retired = draining.withLock { draining in
            defer { draining.removeAll() }
            return Array(draining.values)
        }
        for connection in ready + retired { await connection.close() }
        for task in connecting { if let connection = try? await task.value { await connection.close() } }
    }

    /// Streams tracked across the client's connections (tests use it to prove nothing is left behind).
    func streamCount() async -> Int {
        var total = 0
        for connection in liveConnections() { total += await connection.streamCount }
        return total
    }

    /// Every connection that is ready or draining.
    private func liveConnections() -> [any PooledConnection] {
        pools.withLock { $0.values.flatMap(\.ready) } + draining.withLock { Array($0.values) }
    }

    /// Response body bytes received but not yet read, across connections (tests use it to prove backpressure).
    func bufferedBodyBytes() async -> Int {
        var total = 0
        for connection in liveConnections() { total += await connection.bufferedBodyBytes }
        return total
    }

    /// Open connections across hosts, ready or draining (for tests and diagnostics).
    func connectionCount() -> Int { liveConnections().count }

    // MARK: the pool

    /// Where the pool put a request.
    private enum Placement {
        /// Sent already, on a connection that had a stream free: the common case, one call into it.
        case sent(ResponseDelivery)
        /// To send on a stream reserved for it (on a connection just opened).
        case reserved
        /// To send on the oldest usable connection, in its queue (first come, first served).
        case queued

        var isReserved: Bool { if case .reserved = self { true } else { false } }
    }

    /// Places `request`: on a connection with a free stream (sent there at once), else on a new
    /// one while the pool may grow, else on the oldest usable one.
    private func place(_ request: HTTPRequest, target: HTTPRequest.Target, deadline: ContinuousClock.Instant) async throws
        -> (any PooledConnection, Placement, setup: RequestMetrics.ConnectionSetup?) {
        while true {
            guard !isShutDown.load(ordering: .sequentiallyConsistent) else {
                throw HTTPClientError(.shutdown, "the client was shut down")
            }
            let ready = pools.withLock { $0[target.key]?.ready ?? [] }
            var usable: [any PooledConnection] = []
            for connection in ready {
                let sent = try await attempting(on: connection, for: target) {
                    try await connection.sendIfFree(request, target: target, deadline: deadline)
                }
                if let sent { return (connection, .sent(sent), nil) }
                if await connection.isAvailable { usable.append(connection) } else { forget(connection, for: target) }
            }
            let task = pools.withLock { pools -> Task<any PooledConnection, any Error>? in
                var pool = pools[target.key] ?? HostPool()
                defer { pools[target.key] = pool }
                if let connecting = pool.connecting { return connecting }
                guard pool.ready.count < configuration.maxConnectionsPerHost else { return nil }
                pool.connecting = Task { try await self.connect(target) }
                return pool.connecting
            }
            guard let task else {
                if let oldest = usable.first { return (oldest, .queued, nil) }
                continue   // every connection went away meanwhile: look again
            }
            do {
                let connection = try await task.value
                pools.withLock { pools in
                    guard pools[target.key]?.connecting == task else { return }
                    pools[target.key]?.connecting = nil
                    pools[target.key]?.ready.append(connection)
                }
                // Others waited for this connection too: without a free stream on it, look again.
                if try await connection.reserveStream(until: deadline) {
                    return (connection, .reserved, await connection.tls.info.map(RequestMetrics.ConnectionSetup.init))
                }
            } catch {
                pools.withLock { pools in
                    if pools[target.key]?.connecting == task { pools[target.key]?.connecting = nil }
                }
                throw error
            }
        }
    }

    private func connect(_ target: HTTPRequest.Target) async throws -> any PooledConnection {
        let tls = try await TLSConnection.connect(host: target.host, port: target.port, context: context,
                                                  connectTo: configuration.connectTo,
                                                  proxy: configuration.proxy ?? ProxySettings(proxy: nil),
                                                  timeout: configuration.connectTimeout, on: configuration.eventLoopGroup.next())
        if await tls.info?.applicationProtocol != "h2" {
            let connection = HTTP1Connection(tls: tls, authority: target.authority, idleTimeout: configuration.idleTimeout)
            configuration.logger.log(.debug, "connection opened (HTTP/1.1)", ["authority": target.authority])
            await connection.start()
            await connection.onClose { [weak self] in self?.closed(connection, for: target) }
            return connection
        }
        let keepAlive = configuration.pingInterval.map {
            HTTP2Connection.KeepAlive(interval: $0, timeout: configuration.pingTimeout)
        }
        let connection = try HTTP2Connection(tls: tls, authority: target.authority,
                                             idleTimeout: configuration.idleTimeout, keepAlive: keepAlive,
                                             logger: configuration.logger)
        if let info = await tls.info {
            configuration.logger.log(.debug, "connection opened", [
                "authority": target.authority, "address": info.remoteAddress, "tls": info.protocolVersion,
                "cipher": info.cipherSuite, "alpn": info.applicationProtocol ?? "none", "resumed": "\(info.resumed)",
                "client_certificate": info.clientCertificate?.subject ?? "none"])
        }
        await connection.start()
        await connection.onClose { [weak self] in self?.closed(connection, for: target) }
        return connection
    }

    /// A connection ended: forget it wherever it is kept.
    private func closed(_ connection: any PooledConnection, for target: HTTPRequest.Target) {
        draining.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(connection)) }
        pools.withLock { pools in pools[target.key]?.ready.removeAll { $0 === connection } }
    }

    /// Stops handing out `connection` for new requests; it closes once its streams are done.
    private func forget(_ connection: any PooledConnection, for target: HTTPRequest.Target) {
        let removed = pools.withLock { pools -> Bool in
            guard let index = pools[target.key]?.ready.firstIndex(where: { $0 === connection }) else { return false }
            pools[target.key]?.ready.remove(at: index)
            return true
        }
        guard removed else { return }
        draining.withLock { $0[ObjectIdentifier(connection)] = connection }
        Task { await connection.retire() }
    }
}

extension HTTPRequest.Target {
    /// Connections are shared per host and port.
    struct Key: Hashable, Sendable {
        let host: String
        let port: Int
    }

    var key: Key { Key(host: host, port: port) }
}

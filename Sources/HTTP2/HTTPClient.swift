import MTLS
import Synchronization

/// An HTTP/2 client over mutual TLS, in the spirit of AsyncHTTPClient: one connection per
/// host and port, shared by every request to it.
///
/// Make one client and share it; call `shutdown()` when done. Requests that the server refused
/// before processing them (REFUSED_STREAM, streams above a GOAWAY) are sent again on a new
/// connection automatically; other failures say whether a retry is safe.
public final class HTTPClient: Sendable {
    /// How the client connects.
    public struct Configuration: Sendable {
        /// TLS settings: trust roots, client identity. ALPN is forced to `h2`.
        public var tls: TLSConfiguration
        /// Dial other addresses for some hosts, like curl's `--connect-to`.
        public var connectTo: [ConnectTo]
        /// Time allowed for TCP connect plus TLS handshake.
        public var connectTimeout: Duration
        /// The loop that runs the connections.
        public var eventLoop: EventLoop

        /// Safe defaults: system trust, no client identity, 10 s to connect, the shared loop.
        public init(tls: TLSConfiguration = TLSConfiguration(), connectTo: [ConnectTo] = [],
                    connectTimeout: Duration = .seconds(10), eventLoop: EventLoop = .shared) {
            self.tls = tls
            self.connectTo = connectTo
            self.connectTimeout = connectTimeout
            self.eventLoop = eventLoop
        }
    }

    /// The configuration the client was made with.
    public let configuration: Configuration
    private let context: TLSContext
    /// A host's connection: being established (shared by everyone waiting), or ready.
    private enum Entry {
        case connecting(Task<HTTP2Connection, any Error>)
        case ready(HTTP2Connection)
    }
    private let connections = Mutex<[HTTPRequest.Target.Key: Entry]>([:])
    /// Connections no longer handed out that still finish their streams; closed on shutdown.
    private let draining = Mutex<[ObjectIdentifier: HTTP2Connection]>([:])
    private let isShutDown = Atomic<Bool>(false)

    /// Prepares the TLS context (loads trust roots and checks the identity); no connection yet.
    public init(configuration: Configuration = Configuration()) throws {
        var configuration = configuration
        configuration.tls.applicationProtocols = ["h2"]
        configuration.tls.requireApplicationProtocol = true
        self.configuration = configuration
        context = try TLSContext(configuration: configuration.tls)
    }

    /// Sends `request` and returns once the response head arrived; `timeout` bounds the whole
    /// exchange, body included. Cancelling the task resets the stream.
    public func execute(_ request: HTTPRequest, timeout: Duration = .seconds(30)) async throws -> HTTPResponse {
        let target = try request.target()
        let deadline = ContinuousClock.now + timeout
        var attempt = 0
        while true {
            attempt += 1
            let connection = try await connection(for: target)
            do {
                let delivery = try await connection.send(request, target: target, deadline: deadline)
                let body = delivery.completeBody.map { HTTPResponse.Body(storage: .complete($0, trailers: delivery.trailers)) }
                    ?? HTTPResponse.Body(storage: .streaming(StreamLease(connection: connection, id: delivery.id)))
                return HTTPResponse(status: delivery.head.status, headers: delivery.head.headers, body: body)
            } catch let error as HTTPClientError where error.isRetrySafe && attempt < 3 && ContinuousClock.now < deadline {
                // A refused stream is retried; on a new connection only if this one is going away.
                if !(await connection.isAvailable) { forget(connection, for: target) }
            }
        }
    }

    /// Streams tracked across the client's connections (tests use it to prove nothing is left behind).
    func streamCount() async -> Int {
        var total = 0
        for connection in liveConnections() { total += await connection.streamCount }
        return total
    }

    /// Every connection that is ready or draining.
    private func liveConnections() -> [HTTP2Connection] {
        let ready = connections.withLock { connections in
            connections.values.compactMap { entry -> HTTP2Connection? in
                if case .ready(let connection) = entry { return connection }
                return nil
            }
        }
        return ready + draining.withLock { Array($0.values) }
    }

    /// Closes every connection; requests in flight fail with `shutdown`.
    public func shutdown() async {
        isShutDown.store(true, ordering: .sequentiallyConsistent)
        let entries = connections.withLock { connections in
            defer { connections.removeAll() }
            return Array(connections.values)
        }
        let retired = draining.withLock { draining in
            defer { draining.removeAll() }
            return Array(draining.values)
        }
        for connection in retired { await connection.close() }
        for entry in entries {
            switch entry {
            case .ready(let connection): await connection.close()
            case .connecting(let task): if let connection = try? await task.value { await connection.close() }
            }
        }
    }

    /// The host's connection if it can take new streams, else a new one.
    private func connection(for target: HTTPRequest.Target) async throws -> HTTP2Connection {
        while true {
            guard !isShutDown.load(ordering: .sequentiallyConsistent) else {
                throw HTTPClientError(.shutdown, "the client was shut down")
            }
            let key = target.key
            let entry = connections.withLock { connections in
                if let entry = connections[key] { return entry }
                let entry = Entry.connecting(Task { try await self.connect(target) })
                connections[key] = entry
                return entry
            }
            switch entry {
            case .ready(let connection):
                if await connection.isAvailable { return connection }
                forget(connection, for: target)
            case .connecting(let task):
                do {
                    let connection = try await task.value
                    connections.withLock { connections in
                        if case .connecting(let current) = connections[key], current == task {
                            connections[key] = .ready(connection)
                        }
                    }
                    return connection
                } catch {
                    connections.withLock { connections in
                        if case .connecting(let current) = connections[key], current == task { connections[key] = nil }
                    }
                    throw error
                }
            }
        }
    }

    private func connect(_ target: HTTPRequest.Target) async throws -> HTTP2Connection {
        let tls = try await TLSConnection.connect(host: target.host, port: target.port, context: context,
                                                  connectTo: configuration.connectTo,
                                                  timeout: configuration.connectTimeout, on: configuration.eventLoop)
        let connection = try HTTP2Connection(tls: tls, authority: target.authority)
        await connection.start()
        await connection.onClose { [weak self] in self?.closed(connection, for: target) }
        return connection
    }

    /// A connection ended: forget it wherever it is kept.
    private func closed(_ connection: HTTP2Connection, for target: HTTPRequest.Target) {
        draining.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(connection)) }
        connections.withLock { connections in
            if case .ready(let current) = connections[target.key], current === connection {
                connections[target.key] = nil
            }
        }
    }

    /// Stops handing out `connection` for new requests; it closes once its streams are done.
    private func forget(_ connection: HTTP2Connection, for target: HTTPRequest.Target) {
        let removed = connections.withLock { connections -> Bool in
            guard case .ready(let current) = connections[target.key], current === connection else { return false }
            connections[target.key] = nil
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

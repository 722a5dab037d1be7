import MTLS

/// An HTTP/2 server over TLS (the server role of this package): accepts connections on a
/// `TLSListener`, collects each request whole, and answers with what the handler returns.
/// Clients that choose HTTP/1.1 by ALPN (list `http/1.1` in the TLS configuration's protocols), or
/// offer no ALPN at all, are served HTTP/1.1 with keep-alive by the same handler.
///
/// Meant for local servers (the emulator, tests): requests and responses are held in memory,
/// request bodies up to 512 MiB. Each request runs in its own task; many streams share a connection.
public final class HTTP2Server: Sendable {
    /// Answers one request.
    public typealias Handler = @Sendable (HTTPServerRequest) async -> HTTPServerResponse

    private let listener: TLSListener
    private let registry: Registry

    /// The port it listens on.
    public var port: Int { listener.port }

    private init(listener: TLSListener, registry: Registry) {
        self.listener = listener
        self.registry = registry
    }

    /// Starts serving on `host:port` (port 0 picks a free one); `tls` must accept ALPN `h2`.
    public static func start(host: String = "127.0.0.1", port: Int = 0, tls: TLSServerConfiguration,
                             eventLoopGroup: EventLoopGroup = .shared, handler: @escaping Handler) async throws -> HTTP2Server {
        let context = try TLSServerContext(configuration: tls)
        let registry = Registry()
        let listener = try await TLSListener.bind(host: host, port: port, context: context, eventLoopGroup: eventLoopGroup) { tls in
            guard await tls.info?.applicationProtocol == "h2" else {
                await HTTP1ServerConnection(tls: tls, handler: handler).run()
                return
            }
            guard let connection = try? HTTP2ServerConnection(tls: tls, handler: handler) else { await tls.close(); return }
            registry.add(connection)
            await connection.run()
            registry.remove(connection)
        }
        return HTTP2Server(listener: listener, registry: registry)
    }

    /// Stops accepting and closes every connection (GOAWAY first).
    public func shutdown() async {
        await listener.close()
        for connection in registry.connections.withLock({ Array($0.values) }) { await connection.close() }
    }
}

/// The live connections of a server, shared with its accept handler.
private final class Registry: Sendable {
    let connections = Locked<[ObjectIdentifier: HTTP2ServerConnection]>([:])
    func add(_ connection: HTTP2ServerConnection) { connections.withLock { $0[ObjectIdentifier(connection)] = connection } }
    func remove(_ connection: HTTP2ServerConnection) { connections.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(connection)) } }
}

import MTLS

/// What the pool needs from a connection, whether it speaks HTTP/2 (many streams) or HTTP/1.1
/// (one exchange at a time, kept alive): both run on their TLS connection's event loop.
protocol PooledConnection: EventLoopBound {
    nonisolated var tls: TLSConnection { get }
    /// Starts reading and writing; called once after init.
    func start()
    /// Takes a request slot if one is free; `send(reserved: true)` then uses it. May wait (at
    /// most until `deadline`) for what the server allows; throws on the deadline or cancellation.
    func reserveStream(until deadline: ContinuousClock.Instant) async throws -> Bool
    /// Whether new requests may use this connection.
    var isAvailable: Bool { get }
    /// Exchanges still tracked (open, or holding an unread body).
    var streamCount: Int { get }
    /// Response bytes received but not yet read.
    var bufferedBodyBytes: Int { get }
    /// Sends a request and waits for the response head.
    func send(_ request: HTTPRequest, target: HTTPRequest.Target, deadline: ContinuousClock.Instant,
              reserved: Bool) async throws -> ResponseDelivery
    /// The next chunk of a response body; nil at its end.
    func nextBody(_ id: Int32) async throws -> [UInt8]?
    /// The trailers of a finished response.
    func trailers(_ id: Int32) -> HTTPHeaders?
    /// The caller dropped the response before its end.
    func abandon(_ id: Int32)
    /// No new requests; close once the current ones are done.
    func retire()
    /// Called once when the connection ends.
    func onClose(_ handler: @escaping @Sendable () -> Void)
    /// Closes the connection; requests in flight fail.
    func close() async
}

extension PooledConnection {
    /// Sends the request if a stream is free (reserving it first), else returns nil at once; one
    /// call into the connection where `reserveStream` and `send` would take two.
    func sendIfFree(_ request: HTTPRequest, target: HTTPRequest.Target,
                    deadline: ContinuousClock.Instant) async throws -> ResponseDelivery? {
        guard try await reserveStream(until: deadline) else { return nil }
        return try await send(request, target: target, deadline: deadline, reserved: true)
    }
}

/// What `send` hands back: the head, and the whole body when it had already arrived (then
/// nothing more is read from the connection).
struct ResponseDelivery: Sendable {
    let id: Int32
    let head: HTTP2Stream.Head
    let completeBody: [UInt8]?
    let trailers: HTTPHeaders?
}

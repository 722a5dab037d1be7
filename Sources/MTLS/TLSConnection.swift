import CGnuTLS
import CLinux
import Glibc

/// A TLS client connection over TCP, driven by an event loop, presenting a client certificate
/// when the server asks for one.
///
/// `connect` resolves the host (every address is tried in turn), applies `connectTo` rules, and
/// completes the handshake with the host name verified. The actor runs on its event loop's thread.
/// One read and one write may be in flight at once. Close it with `close()`; a connection dropped
/// without it is closed by the loop.
public actor TLSConnection: EventLoopBound {
    /// The loop whose thread runs this connection.
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    /// Which way a caller waits for the socket.
    package enum Direction: Sendable { case read, write }

    /// Someone waiting until the socket is ready in its direction (a suspended task, or a
    /// callback), or its deadline passes.
    private struct Waiter {
        let id: UInt64
        let wake: (Result<Void, any Error>) -> Void
        let timer: EventLoop.TimerID?
    }

    /// Encrypted bytes queued beyond this make `write` wait for the socket to drain.
    private static let outputLimit = 256 * 1024

    private let context: TLSContext?
    private var session: TLSSession?
    private var fd: Int32 = -1
    private var readWaiter: Waiter?
    private var writeWaiter: Waiter?
    private var nextWaiterID: UInt64 = 0
    private var pendingFailure: (any Error)?
    /// Where records are decrypted before the bytes are copied out at their exact size.
    private var scratch = [UInt8].readBuffer(count: 64 * 1024)
    /// Set once the handshake finished.
    public private(set) var info: TLSConnectionInfo?

    init(loop: EventLoop, context: TLSContext?) {
        self.loop = loop
        self.context = context
    }

    /// Connects to `host:port` and completes the TLS handshake within `timeout`.
    ///
    /// `connectTo` rules change only the address dialled; SNI and verification keep `host` (or
    /// `configuration.serverName`). Through a `proxy` (unless its NO_PROXY list exempts the host)
    /// the TCP connection is a tunnel and TLS runs end to end inside it. Errors say which step
    /// failed: resolution, TCP, proxy, TLS, ALPN.
    public static func connect(host: String, port: Int, context: TLSContext, connectTo: [ConnectTo] = [],
                               proxy: ProxySettings = ProxySettings(proxy: nil), timeout: Duration = .seconds(10),
                               on loop: EventLoop = .shared) async throws -> TLSConnection {
        let connection = TLSConnection(loop: loop, context: context)
        try await connection.establish(host: host, port: port, connectTo: connectTo, proxy: proxy.proxy(for: host, port: port),
                                       deadline: .now + timeout)
        return connection
    }

    /// `connect` with a configuration of its own (loads the trust roots each time: prefer a shared context).
    public static func connect(host: String, port: Int, configuration: TLSConfiguration, connectTo: [ConnectTo] = [],
                               proxy: ProxySettings = ProxySettings(proxy: nil), timeout: Duration = .seconds(10),
                               on loop: EventLoop = .shared) async throws -> TLSConnection {
        try await connect(host: host, port: port, context: TLSContext(configuration: configuration),
                          connectTo: connectTo, proxy: proxy, timeout: timeout, on: loop)
    }

    deinit {
        let fd = fd, loop = loop
        guard fd >= 0 else { return }
        // If the loop is gone, nothing watches the descriptor any more: close it here.
        if !loop.tryExecute({ loop.deregister(fd); Glibc.close(fd) }) { Glibc.close(fd) }
    }

    // MARK: establishing

    private func establish(host: String, port: Int, connectTo: [ConnectTo], proxy: Proxy?,
                           deadline: ContinuousClock.Instant) async throws {
        let target = ConnectTo.target(for: host, port: port, rules: connectTo)
        let start = ContinuousClock.now
        let dialled = proxy.map { ($0.host, $0.port) } ?? (target.host, target.port)
        let addresses = try await SocketAddress.resolve(host: dialled.0, port: dialled.1)
        try await establish(host: host, port: port, addresses: addresses,
                            dialling: proxy.map { "the proxy \($0)" } ?? "\(target.host):\(target.port)",
                            tunnel: proxy.map { ($0, target.host, target.port) }, deadline: deadline,
                            resolution: ContinuousClock.now - start)
    }

    /// Connects to `addresses` in turn, then runs the handshake for `host`.
    func establish(host: String, port: Int, addresses: [SocketAddress], dialling name: String,
                   tunnel: (proxy: Proxy, host: String, port: Int)? = nil,
                   deadline: ContinuousClock.Instant, resolution: Duration = .zero) async throws {
        let connectStart = ContinuousClock.now
        let address = try await connectTCP(addresses, name: name, deadline: deadline)
        if let tunnel {
            do {
                if tunnel.proxy.kind == .httpsConnect { proxyOuter = try await proxySession(tunnel.proxy, deadline: deadline) }
                try await ProxyTunnel(proxy: tunnel.proxy, host: tunnel.host, port: tunnel.port)
                    .open(write: { try await self.tunnelWrite($0, deadline: deadline) }, read: { try await self.tunnelRead(deadline: deadline) })
            } catch {
                close(reason: error)
                throw error
            }
        }
        let handshakeStart = ContinuousClock.now
        guard let context else { preconditionFailure("a client connection needs a TLSContext") }
        let serverName = context.configuration.serverName ?? host
        try await handshake(TLSSession(fd: fd, context: context, serverName: serverName, port: port, outer: proxyOuter),
                            peer: "\(serverName) at \(address)", deadline: deadline) { session in
            let info = TLSConnectionInfo(session: session, remoteAddress: address.description, nameResolution: resolution,
                                         tcpConnect: handshakeStart - connectStart,
                                         tlsHandshake: ContinuousClock.now - handshakeStart)
            if context.configuration.requireApplicationProtocol && !context.configuration.applicationProtocols.isEmpty
                && info.applicationProtocol == nil {
                throw session.noApplicationProtocol()
            }
            return info
        }
    }

    /// Serves an accepted socket: the server side of the handshake, within `timeout`.
    static func accept(_ descriptor: Int32, from address: String, context: TLSServerContext, timeout: Duration,
                       on loop: EventLoop) async throws -> TLSConnection {
        let connection = TLSConnection(loop: loop, context: nil)
        try await connection.serve(descriptor, from: address, context: context, deadline: .now + timeout)
        return connection
    }

    private func serve(_ descriptor: Int32, from address: String, context: TLSServerContext,
                       deadline: ContinuousClock.Instant) async throws {
        adopt(descriptor)
        let start = ContinuousClock.now
        try await handshake(try TLSSession(fd: descriptor, serverContext: context), peer: "client \(address)",
                            deadline: deadline) { session in
            TLSConnectionInfo(session: session, remoteAddress: address, nameResolution: .zero, tcpConnect: .zero,
                              tlsHandshake: ContinuousClock.now - start)
        }
    }

    /// Runs `session`'s handshake until done or the deadline, then records what `describe` says; closes on failure.
    private func handshake(_ makeSession: @autoclosure () throws -> TLSSession, peer: String, deadline: ContinuousClock.Instant,
                           describe: (TLSSession) throws -> TLSConnectionInfo) async throws {
        do {
            let session = try makeSession()
            self.session = session
            while try !session.handshake() {
                try await wait(.read, until: deadline, timeoutError: TLSError(
                    .handshakeTimeout, "the TLS handshake with \(peer) did not finish in time"))
            }
            info = try describe(session)
        } catch {
            close(reason: error)
            throw error
        }
    }

    /// Races the addresses (Happy Eyeballs); leaves the winner's descriptor in `fd`, registered.
    private func connectTCP(_ addresses: [SocketAddress], name: String, deadline: ContinuousClock.Instant) async throws -> SocketAddress {
        let (descriptor, address) = try await HappyEyeballs.connect(addresses, name: name, deadline: deadline, on: loop)
        adopt(descriptor)
        return address
    }

    private func adopt(_ descriptor: Int32) {
        fd = descriptor
        loop.register(descriptor, for: .once) { [weak self] events in
            self?.onLoop(events) { $0.socketReady($1) }
        }
    }

    // MARK: plaintext before TLS (proxy handshakes)

    /// The TLS session to an HTTPS proxy: the same trust roots, its own name, no client
    /// certificate (that one is only ever shown to the server, inside), no ALPN.
    private func proxySession(_ proxy: Proxy, deadline: ContinuousClock.Instant) async throws -> TLSSession {
        guard let trust = context?.configuration.trustRoots else { preconditionFailure("a client connection needs a TLSContext") }
        let proxyContext = try TLSContext(configuration: TLSConfiguration(trustRoots: trust, applicationProtocols: [],
                                                                          requireApplicationProtocol: false))
        let session = try TLSSession(fd: fd, context: proxyContext, serverName: proxy.host, port: proxy.port)
        while try !session.handshake() {
            try await wait(.read, until: deadline, timeoutError: TLSError(.handshakeTimeout,
                                                                           "the TLS handshake with the proxy \(proxy) did not finish in time"))
        }
        return session
    }

    /// The HTTPS proxy's session the end-to-end one runs inside (kept alive by that one too).
    private var proxyOuter: TLSSession?

    /// Writes tunnel-setup bytes: on the socket, or through the HTTPS proxy's session.
    private func tunnelWrite(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        guard let outer = proxyOuter else { return try await rawWrite(bytes, deadline: deadline) }
        var offset = 0
        while offset < bytes.count {
            offset += try bytes.withUnsafeBytes { try outer.send(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        }
        while true {
            outer.flush()
            if outer.socketError != nil { throw outer.recordError(GNUTLS_E_PUSH_ERROR) }
            if outer.pendingOutput == 0 { return }
            try await wait(.write, until: deadline, timeoutError: TLSError(.connectTimeout, "the proxy did not take the request in time"))
        }
    }

    /// Reads tunnel-setup bytes: from the socket, or from the HTTPS proxy's session.
    private func tunnelRead(deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        guard let outer = proxyOuter else { return try await rawRead(deadline: deadline) }
        while true {
            if let count = try scratch.withUnsafeMutableBytes({ try outer.receive(into: $0) }) {
                guard count > 0 else { throw TLSError(.proxyFailed, "the proxy closed the connection before the tunnel was open") }
                return Array(scratch[..<count])
            }
            try await wait(.read, until: deadline, timeoutError: TLSError(.connectTimeout, "the proxy did not answer in time"))
        }
    }

    /// Writes `bytes` to the socket as they are, before any TLS session exists.
    private func rawWrite(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 { offset += sent; continue }
            guard sent < 0, errno == EAGAIN || errno == EINTR else {
                throw TLSError(.proxyFailed, "the proxy closed the connection: \(String(cString: strerror(errno)))")
            }
            try await wait(.write, until: deadline, timeoutError: TLSError(.connectTimeout, "the proxy did not take the request in time"))
        }
    }

    /// Reads what the socket has (at least one byte), before any TLS session exists.
    private func rawRead(deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { return Array(buffer.prefix(count)) }
            guard count < 0, errno == EAGAIN || errno == EINTR else {
                throw TLSError(.proxyFailed, "the proxy closed the connection before the tunnel was open")
            }
            try await wait(.read, until: deadline, timeoutError: TLSError(.connectTimeout, "the proxy did not answer in time"))
        }
    }

    // MARK: waiting for the socket

    /// The socket became ready: flush what is queued, wake the waiter of each ready direction,
    /// and re-arm (one-shot) for whoever still waits.
    private func socketReady(_ events: EventLoop.Events) {
        armed = nil   // one-shot: the descriptor reports nothing more until armed again
        session?.flush()
        if !events.isDisjoint(with: [.readable, .hangup]) { resume(.read, with: .success(())) }
        if !events.isDisjoint(with: [.writable, .hangup]) { resume(.write, with: .success(())) }
        arm()
    }

    /// Watches the directions someone waits for, and writability while ciphertext is queued.
    private func arm() {
        guard fd >= 0 else { return }
        var events: EventLoop.Events = .once
        if readWaiter != nil { events.insert(.readable) }
        if writeWaiter != nil || (session?.pendingOutput ?? 0) > 0 { events.insert(.writable) }
        if events != .once && events != armed {
            loop.watch(fd, for: events)
            armed = events
        }
    }
    /// What the descriptor is armed for, nil once it reported (one-shot) or before it was armed.
    private var armed: EventLoop.Events?

    private func resume(_ direction: Direction, with result: Result<Void, any Error>, id: UInt64? = nil) {
        guard let waiter = self[waiter: direction], id == nil || waiter.id == id else { return }
        self[waiter: direction] = nil
        if let timer = waiter.timer { loop.cancel(timer) }
        waiter.wake(result)
    }

    /// Suspends until the socket is ready for `direction`; throws the connection's failure if it
    /// closed meanwhile, `timeoutError` at the deadline, or `CancellationError`.
    private func wait(_ direction: Direction, until deadline: ContinuousClock.Instant? = nil,
                      timeoutError: TLSError? = nil) async throws {
        if let pendingFailure { throw pendingFailure }
        nextWaiterID += 1
        let id = nextWaiterID
        // The operation closure touches this actor's state, which makes it run isolated to the
        // actor: no hop, so nothing can change between the check above and the install below.
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if let pendingFailure { return continuation.resume(throwing: pendingFailure) }
                if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                install(direction, id: id, deadline: deadline, timeoutError: timeoutError) { continuation.resume(with: $0) }
            }
        } onCancel: {
            loop.execute { [weak self] in
                self?.onLoop { $0.resume(direction, with: .failure(CancellationError()), id: id) }
            }
        }
        if let pendingFailure { throw pendingFailure }
    }

    /// Records `wake` as the waiter for `direction`, with a timer when there is a deadline, and arms the socket.
    private func install(_ direction: Direction, id: UInt64, deadline: ContinuousClock.Instant?, timeoutError: TLSError?,
                         wake: @escaping (Result<Void, any Error>) -> Void) {
        precondition(self[waiter: direction] == nil, "only one \(direction) may wait on a TLSConnection at a time")
        let timer = deadline.flatMap { deadline in timeoutError.map { error in
            loop.schedule(after: ContinuousClock.now.duration(to: deadline)) { [weak self] in
                self?.onLoop { $0.resume(direction, with: .failure(error), id: id) }
            }
        } }
        self[waiter: direction] = Waiter(id: id, wake: wake, timer: timer)
        arm()
    }

    /// The waiter for `direction`.
    private subscript(waiter direction: Direction) -> Waiter? {
        get { direction == .read ? readWaiter : writeWaiter }
        set { if direction == .read { readWaiter = newValue } else { writeWaiter = newValue } }
    }

    // MARK: data, for protocol drivers on this loop (no waiting, no task)

    /// How `receiveNow` left the connection.
    package enum ReceiveState: Sendable {
        /// The buffer filled up: more may be ready at once, so call again before waiting.
        case more
        /// Nothing more has arrived: wait with `whenReady(.read)`.
        case drained
        /// The peer closed the connection cleanly.
        case closed
    }

    /// Decrypts what has arrived into `buffer` (from its start, up to its size) without waiting;
    /// returns how many bytes it now holds and what to do next.
    ///
    /// Throws like `read`. For a driver running on this loop, called through `onLoop`.
    package func receiveNow(into buffer: UnsafeMutableRawBufferPointer) throws -> (count: Int, state: ReceiveState) {
        if let failure = deferredReadFailure {
            deferredReadFailure = nil
            throw failure
        }
        let session = try openSession()
        defer { session.flush() }   // reading may have queued records (a TLS 1.3 key update's answer)
        var count = 0
        while count < buffer.count {
            let received: Int?
            do {
                received = try session.receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                if received == nil { try checkSocket(session) }
            } catch where count > 0 {
                // Bytes decrypted before the failure (a server's last frames before it closed) go
                // to the caller first; the failure comes with the next call.
                deferredReadFailure = error
                return (count, .more)
            }
            guard let received else { return (count, .drained) }
            if received == 0 { return (count, .closed) }
            count += received
        }
        return (count, .more)
    }

    /// A failure `receiveNow` met after it had decrypted bytes, thrown by its next call.
    private var deferredReadFailure: (any Error)?

    /// Encrypts `bytes` and hands the kernel what it takes now; the rest stays queued and is sent
    /// as the socket drains. Returns the ciphertext still queued: a driver that wants to bound its
    /// memory waits with `whenReady(.write)` while that is large. Never waits.
    package func sendNow(_ bytes: [UInt8]) throws -> Int {
        let session = try openSession()
        var offset = 0
        while offset < bytes.count { offset += try encryptRecord(of: bytes, from: offset, in: session) }
        session.flush()
        try checkSocket(session)
        if session.pendingOutput > 0 { arm() }
        return session.pendingOutput
    }

    /// Calls `handler` on the loop once the socket is ready for `direction`, or with the
    /// connection's failure once it fails (at once if it has already).
    ///
    /// The callback form of waiting, for drivers that read with `receiveNow` and write with
    /// `sendNow`; like a waiting task, one handler per direction at a time.
    package func whenReady(_ direction: Direction, _ handler: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        if let pendingFailure { return handler(.failure(pendingFailure)) }
        nextWaiterID += 1
        install(direction, id: nextWaiterID, deadline: nil, timeoutError: nil, wake: handler)
    }

    // MARK: data

    /// Sends `bytes`, encrypted in full-size records; returns once they are handed to the kernel.
    public func write(_ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let session = try openSession()
            offset += try encryptRecord(of: bytes, from: offset, in: session)
            if session.pendingOutput >= Self.outputLimit { try await drain() }
        }
        try await drain()
    }

    /// Encrypts one full-size record of `bytes` from `offset` into the session's queue; returns the
    /// bytes it took.
    private func encryptRecord(of bytes: [UInt8], from offset: Int, in session: TLSSession) throws -> Int {
        try bytes.withUnsafeBytes { raw in
            try session.send(UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + 16384, raw.count)]))
        }
    }

    /// Waits until every queued record has reached the kernel.
    private func drain() async throws {
        while true {
            let session = try openSession()
            session.flush()
            try checkSocket(session)
            if session.pendingOutput == 0 { return }
            try await wait(.write)
        }
    }

    /// Receives up to `maxLength` decrypted bytes; an empty result means the peer closed cleanly.
    ///
    /// A close without TLS close_notify throws `.connectionClosed` (the data may be truncated);
    /// a server that rejected our certificate after the handshake (TLS 1.3) throws `.clientCertificateRejected`.
    public func read(maxLength: Int = 65536) async throws -> [UInt8] {
        precondition(maxLength > 0, "read(maxLength:) needs room for at least one byte")
        while true {
            let session = try openSession()
            let limit = min(maxLength, scratch.count)
            let received = try scratch.withUnsafeMutableBytes { try session.receive(into: .init(rebasing: $0[..<limit])) }
            session.flush()
            if let received { return Array(scratch[..<received]) }
            try checkSocket(session)
            try await wait(.read)
        }
    }

    /// Sends close_notify (best effort: one flush) and closes the socket; later reads and writes throw.
    public func close() {
        close(reason: TLSError(.connectionClosed, "the connection was closed by this side"))
    }

    /// Closes the socket at once, without close_notify (the peer sees a truncated connection);
    /// servers use it to act out a dropped connection.
    package func abort() {
        close(reason: TLSError(.connectionClosed, "the connection was aborted by this side"), notify: false)
    }

    private func close(reason: any Error, notify: Bool = true) {
        if pendingFailure == nil { pendingFailure = reason }
        if notify { session?.sendCloseNotify() }
        session?.invalidate()
        proxyOuter?.invalidate()
        session = nil
        closeSocket()
    }

    private func closeSocket() {
        guard fd >= 0 else { return }
        loop.deregister(fd)
        Glibc.close(fd)
        fd = -1
        let failure = pendingFailure ?? TLSError(.connectionClosed, "the connection was closed")
        resume(.read, with: .failure(failure))
        resume(.write, with: .failure(failure))
    }

    private func openSession() throws -> TLSSession {
        if let pendingFailure { throw pendingFailure }
        guard let session else { throw TLSError(.connectionClosed, "the connection is not open") }
        return session
    }

    private func checkSocket(_ session: TLSSession) throws {
        if session.socketError != nil { throw session.recordError(GNUTLS_E_PUSH_ERROR) }
    }
}

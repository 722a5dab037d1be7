import CGnuTLS
import CLinux
import Glibc

/// A TLS client connection over TCP, driven by an event loop, presenting a client certificate
/// when the server asks for one.
///
/// `connect` resolves the host (every address is tried in turn), applies `connectTo` rules, and
/// completes the handshake with the host name verified. The actor runs on its event loop's thread.
/// Close it with `close()`; a connection dropped without it is closed by the loop.
public actor TLSConnection {
    /// The loop whose thread runs this connection.
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    private let context: TLSContext
    private var session: TLSSession?
    private var fd: Int32 = -1
    private var waiter: CheckedContinuation<Void, any Error>?
    private var waitTimer: EventLoop.TimerID?
    private var pendingFailure: (any Error)?
    /// Set once the handshake finished.
    public private(set) var info: TLSConnectionInfo?

    init(loop: EventLoop, context: TLSContext) {
        self.loop = loop
        self.context = context
    }

    /// Connects to `host:port` and completes the TLS handshake within `timeout`.
    ///
    /// `connectTo` rules change only the address dialled; SNI and verification keep `host` (or
    /// `configuration.serverName`). Errors say which step failed: resolution, TCP, TLS, ALPN.
    public static func connect(host: String, port: Int, context: TLSContext, connectTo: [ConnectTo] = [],
                               timeout: Duration = .seconds(10), on loop: EventLoop = .shared) async throws -> TLSConnection {
        let connection = TLSConnection(loop: loop, context: context)
        try await connection.establish(host: host, port: port, connectTo: connectTo, deadline: .now + timeout)
        return connection
    }

    /// `connect` with a configuration of its own (loads the trust roots each time: prefer a shared context).
    public static func connect(host: String, port: Int, configuration: TLSConfiguration, connectTo: [ConnectTo] = [],
                               timeout: Duration = .seconds(10), on loop: EventLoop = .shared) async throws -> TLSConnection {
        try await connect(host: host, port: port, context: TLSContext(configuration: configuration),
                          connectTo: connectTo, timeout: timeout, on: loop)
    }

    deinit {
        let fd = fd, loop = loop
        guard fd >= 0 else { return }
        loop.execute { loop.deregister(fd); Glibc.close(fd) }
    }

    // MARK: establishing

    private func establish(host: String, port: Int, connectTo: [ConnectTo], deadline: ContinuousClock.Instant) async throws {
        let target = ConnectTo.target(for: host, port: port, rules: connectTo)
        let addresses = try await SocketAddress.resolve(host: target.host, port: target.port)
        try await establish(host: host, port: port, addresses: addresses, dialling: "\(target.host):\(target.port)",
                            deadline: deadline)
    }

    /// Connects to `addresses` in turn, then runs the handshake for `host`.
    func establish(host: String, port: Int, addresses: [SocketAddress], dialling name: String,
                   deadline: ContinuousClock.Instant) async throws {
        let address = try await connectTCP(addresses, name: name, deadline: deadline)
        let serverName = context.configuration.serverName ?? host
        let session = try TLSSession(fd: fd, context: context, serverName: serverName, port: port)
        self.session = session
        do {
            while try !session.handshake() {
                try await waitForSocket(deadline: deadline, timeoutError: TLSError(
                    .handshakeTimeout, "the TLS handshake with \(serverName) at \(address) did not finish in time"))
            }
        } catch {
            close(reason: error)
            throw error
        }
        let info = TLSConnectionInfo(session: session, remoteAddress: address.description)
        if context.configuration.requireApplicationProtocol && !context.configuration.applicationProtocols.isEmpty
            && info.applicationProtocol == nil {
            let error = session.noApplicationProtocol()
            close(reason: error)
            throw error
        }
        self.info = info
    }

    /// Tries each address in turn until one accepts; leaves `fd` registered with the loop.
    private func connectTCP(_ addresses: [SocketAddress], name: String, deadline: ContinuousClock.Instant) async throws -> SocketAddress {
        var failures: [String] = []
        var refusedOnly = true
        for address in addresses {
            let attempt = TCPSocket.startConnect(to: address)
            var code = attempt.error
            if attempt.fd >= 0 {
                adopt(attempt.fd)
                if !attempt.done {
                    do {
                        try await waitForSocket(writable: true, deadline: deadline, timeoutError: TLSError(
                            .connectTimeout, "no TCP connection to \(name) (\(address)) within the timeout"))
                    } catch {
                        closeSocket()
                        throw error
                    }
                    code = TCPSocket.connectResult(fd)
                }
                if code == 0 { return address }
                closeSocket()
            }
            refusedOnly = refusedOnly && code == ECONNREFUSED
            failures.append("\(address): \(String(cString: strerror(code)))")
        }
        throw TLSError(refusedOnly && !failures.isEmpty ? .connectionRefused : .connectTimeout,
                       "cannot connect to \(name): " + (failures.isEmpty ? "no address" : failures.joined(separator: "; ")))
    }

    private func adopt(_ descriptor: Int32) {
        fd = descriptor
        loop.register(descriptor, for: .once) { [weak self] events in
            self?.assumeIsolated { $0.socketReady(events) }
        }
    }

    // MARK: waiting for the socket

    /// The socket became ready; it stays disarmed (one-shot) until the next wait arms it.
    private func socketReady(_ events: EventLoop.Events) {
        resumeWaiter(with: .success(()))
    }

    private func resumeWaiter(with result: Result<Void, any Error>) {
        if let timer = waitTimer { loop.cancel(timer); waitTimer = nil }
        let waiter = self.waiter
        self.waiter = nil
        waiter?.resume(with: result)
    }

    /// Suspends until the socket is readable (or writable, or has queued output to flush).
    private func waitForSocket(writable: Bool = false, deadline: ContinuousClock.Instant?,
                               timeoutError: TLSError? = nil) async throws {
        if let pendingFailure { throw pendingFailure }
        let wantWrite = writable || (session?.pendingOutput ?? 0) > 0
        loop.watch(fd, for: wantWrite ? [.readable, .writable, .once] : [.readable, .once])
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiter = continuation
                if let deadline, let timeoutError {
                    waitTimer = loop.schedule(after: ContinuousClock.now.duration(to: deadline)) { [weak self] in
                        self?.assumeIsolated { $0.resumeWaiter(with: .failure(timeoutError)) }
                    }
                }
            }
        } onCancel: {
            loop.execute { [weak self] in
                self?.assumeIsolated { $0.resumeWaiter(with: .failure(CancellationError())) }
            }
        }
        session?.flush()
    }

    // MARK: data

    /// Sends `bytes`, encrypted in full-size records; returns once they are handed to the kernel.
    public func write(_ bytes: [UInt8]) async throws {
        let session = try openSession()
        var offset = 0
        while offset < bytes.count {
            offset += try bytes.withUnsafeBytes { raw in
                try session.send(UnsafeRawBufferPointer(rebasing: raw[offset..<min(offset + 16384, raw.count)]))
            }
            session.flush()
            try checkSocket(session)
        }
        while session.pendingOutput > 0 {
            try await waitForSocket(writable: true, deadline: nil)
            try checkSocket(session)
        }
    }

    /// Receives up to `maxLength` decrypted bytes; an empty result means the peer closed cleanly.
    ///
    /// A close without TLS close_notify throws `.connectionClosed` (the data may be truncated);
    /// a server that rejected our certificate after the handshake (TLS 1.3) throws `.clientCertificateRejected`.
    public func read(maxLength: Int = 65536) async throws -> [UInt8] {
        let session = try openSession()
        var buffer = [UInt8](repeating: 0, count: maxLength)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try session.receive(into: $0) }
            session.flush()
            if let count { return Array(buffer.prefix(count)) }
            try checkSocket(session)
            try await waitForSocket(deadline: nil)
        }
    }

    /// Sends close_notify and closes the socket; reads and writes after this throw.
    public func close() {
        close(reason: TLSError(.connectionClosed, "the connection was closed by this side"))
    }

    private func close(reason: any Error) {
        session?.sendCloseNotify()
        session = nil
        pendingFailure = reason
        closeSocket()
    }

    private func closeSocket() {
        guard fd >= 0 else { return }
        loop.deregister(fd)
        Glibc.close(fd)
        fd = -1
        resumeWaiter(with: .failure(pendingFailure ?? TLSError(.connectionClosed, "the connection was closed")))
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

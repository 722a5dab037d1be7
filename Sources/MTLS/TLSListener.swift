import CLinux
import Glibc
import Synchronization

/// A TLS server socket: accepts TCP connections, runs the server side of each handshake on an
/// event loop, and hands every established connection to the handler (each in its own task).
///
/// Binds to loopback by default. Connections whose handshake fails (no or an untrusted client
/// certificate under `.require`, no common ALPN protocol) are closed and reported to `onFailure`.
/// `close()` stops accepting; connections already handed out stay open until their owners close them.
public final class TLSListener: Sendable {
    /// The port it listens on (the one the kernel picked when bound to port 0).
    public let port: Int
    private let fd: Int32
    private let loop: EventLoop
    private let isClosed = Atomic<Bool>(false)

    private init(fd: Int32, port: Int, loop: EventLoop) {
        self.fd = fd
        self.port = port
        self.loop = loop
    }

    /// Listens on `host:port` (an IP literal; port 0 picks a free one) with `context`.
    public static func bind(host: String = "127.0.0.1", port: Int = 0, context: TLSServerContext,
                            eventLoopGroup: EventLoopGroup = .shared, handshakeTimeout: Duration = .seconds(10),
                            onFailure: @escaping @Sendable (any Error) -> Void = { _ in },
                            handler: @escaping @Sendable (TLSConnection) async -> Void) async throws -> TLSListener {
        let (fd, boundPort) = try listeningSocket(host: host, port: port)
        let loop = eventLoopGroup.next()
        let listener = TLSListener(fd: fd, port: boundPort, loop: loop)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                loop.register(fd, for: .readable) { _ in
                    acceptAll(fd, context: context, group: eventLoopGroup, timeout: handshakeTimeout,
                              onFailure: onFailure, handler: handler)
                }
                continuation.resume()
            }
        }
        return listener
    }

    /// Stops accepting and closes the listening socket.
    public func close() async {
        guard !isClosed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        let fd = fd, loop = loop
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                loop.deregister(fd)
                Glibc.close(fd)
                continuation.resume()
            }
        }
    }

    deinit {
        guard !isClosed.load(ordering: .sequentiallyConsistent) else { return }
        let fd = fd, loop = loop
        if !loop.tryExecute({ loop.deregister(fd); Glibc.close(fd) }) { Glibc.close(fd) }
    }

    private static func listeningSocket(host: String, port: Int) throws -> (Int32, Int) {
        let addresses = try SocketAddress.resolveNow(host: host, port: port)
        guard var address = addresses.first else { throw TLSError(.nameResolution, "cannot listen on \(host)") }
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                        | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TLSError(.ioError, "cannot create a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafeMutablePointer(to: &address.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, address.length) == 0 }
        }
        guard bound, listen(fd, 512) == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw TLSError(.ioError, "cannot listen on \(host):\(port): \(reason)")
        }
        var length = address.length
        _ = withUnsafeMutablePointer(to: &address.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, address.port)
    }

    /// Accepts every pending connection; each handshake runs on a loop of the group.
    private static func acceptAll(_ fd: Int32, context: TLSServerContext, group: EventLoopGroup, timeout: Duration,
                                  onFailure: @escaping @Sendable (any Error) -> Void,
                                  handler: @escaping @Sendable (TLSConnection) async -> Void) {
        while true {
            var peer = SocketAddress(storage: sockaddr_storage(), length: socklen_t(MemoryLayout<sockaddr_storage>.size))
            let client = withUnsafeMutablePointer(to: &peer.storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    clinux_accept_nonblocking(fd, $0, &peer.length)
                }
            }
            guard client >= 0 else { return }   // EAGAIN: all taken; other errors: try at the next wake-up
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let loop = group.next()
            let address = peer.description
            Task(executorPreference: loop.taskExecutor) {
                do {
                    await handler(try await TLSConnection.accept(client, from: address, context: context,
                                                                 timeout: timeout, on: loop))
                } catch {
                    onFailure(error)
                }
            }
        }
    }
}

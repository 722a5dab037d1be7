import CLinux
import Glibc

/// A resolved IPv4 or IPv6 address with its port.
struct SocketAddress: Sendable, CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t
    var family: Int32 { Int32(storage.ss_family) }

    /// The port, in host byte order.
    var port: Int {
        var copy = storage
        return withUnsafePointer(to: &copy) { pointer in
            family == AF_INET6
                ? pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int($0.pointee.sin6_port.bigEndian) }
                : pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int($0.pointee.sin_port.bigEndian) }
        }
    }

    /// `192.0.2.1:443` or `[2001:db8::1]:443`.
    var description: String {
        var copy = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let port: UInt16 = withUnsafePointer(to: &copy) { pointer in
            pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { in6 in
                if family == AF_INET6 {
                    var address = in6.pointee.sin6_addr
                    inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                    return in6.pointee.sin6_port.bigEndian
                }
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { in4 in
                    var address = in4.pointee.sin_addr
                    inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
                    return in4.pointee.sin_port.bigEndian
                }
            }
        }
        let host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Resolves `host` (a name or an IP literal) on a thread of its own, so no event loop blocks;
    /// names are remembered for `ResolverCache.shared.ttl`.
    static func resolve(host: String, port: Int) async throws -> [SocketAddress] {
        if IPAddress(host) == nil, let cached = ResolverCache.shared.addresses(for: host, port: port) { return cached }
        let addresses = try await BlockingWork.run("resolve \(host)") { try resolveNow(host: host, port: port) }
        if IPAddress(host) == nil { ResolverCache.shared.store(addresses, for: host, port: port) }
        return addresses
    }

    static func resolveNow(host: String, port: Int) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let result = getaddrinfo(bare, String(port), &hints, &list)
        guard result == 0, let list else {
            throw TLSError(.nameResolution, "cannot resolve \(host): \(String(cString: gai_strerror(result)))")
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        for entry in sequence(first: list, next: { $0.pointee.ai_next }) {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { raw in
                raw.copyMemory(from: UnsafeRawBufferPointer(start: entry.pointee.ai_addr, count: Int(entry.pointee.ai_addrlen)))
            }
            addresses.append(SocketAddress(storage: storage, length: entry.pointee.ai_addrlen))
        }
        return addresses
    }
}

/// Resolved names kept for a short time (getaddrinfo gives no TTL; 30 s is what browsers and
/// curl's default DNS cache keep), so a burst of connections does not resolve again and again.
final class ResolverCache: Sendable {
    static let shared = ResolverCache(ttl: .seconds(30))

    let ttl: Duration
    private let entries = Locked<[String: (expiry: ContinuousClock.Instant, addresses: [SocketAddress])]>([:])

    init(ttl: Duration) { self.ttl = ttl }

    func addresses(for host: String, port: Int) -> [SocketAddress]? {
        entries.withLock { entries in
            guard let entry = entries["\(host.lowercased()):\(port)"] else { return nil }
            guard entry.expiry > .now else {
                entries["\(host.lowercased()):\(port)"] = nil
                return nil
            }
            return entry.addresses
        }
    }

    func store(_ addresses: [SocketAddress], for host: String, port: Int) {
        entries.withLock { $0["\(host.lowercased()):\(port)"] = (.now + ttl, addresses) }
    }
}

/// The bytes of an IP literal (`127.0.0.1`, `::1`, `[::1]`), or nil for a host name.
func IPAddress(_ text: String) -> [UInt8]? {
    let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
    var v4 = [UInt8](repeating: 0, count: 4)
    if inet_pton(AF_INET, bare, &v4) == 1 { return v4 }
    var v6 = [UInt8](repeating: 0, count: 16)
    if inet_pton(AF_INET6, bare, &v6) == 1 { return v6 }
    return nil
}

/// A non-blocking TCP socket, owned: closed when released unless handed over.
enum TCPSocket {
    /// Starts a non-blocking connect; returns the descriptor and whether it already completed.
    static func startConnect(to address: SocketAddress) -> (fd: Int32, done: Bool, error: Int32) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
                        | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (-1, false, errno) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, address.length) }
        }
        if result == 0 { return (fd, true, 0) }
        if errno == EINPROGRESS { return (fd, false, 0) }
        let code = errno
        close(fd)
        return (-1, false, code)
    }

    /// The outcome of a connect that became writable: 0 on success, else the errno.
    static func connectResult(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return errno }
        return code
    }
}

import FoundationEssentials
import Glibc
import MTLS
import Synchronization

/// The emulator's metadata-server mode: plain HTTP on loopback, like the GCE metadata server, so
/// Application Default Credentials find it through `GCE_METADATA_HOST`. Requests need
/// `Metadata-Flavor: Google`; answers carry it. Serves the default service account's token,
/// e-mail, the project id and the universe domain.
final class EmulatorMetadataServer: Sendable {
    let port: Int
    private let fd: Int32
    private let isClosed = Atomic<Bool>(false)

    init(tokens: TokenIssuer, projectID: String) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = fd
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else {
            if fd >= 0 { Glibc.close(fd) }
            throw EmulatorError("cannot listen for the metadata server: \(String(cString: strerror(errno)))")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let routes = MetadataRoutes(tokens: tokens, projectID: projectID)
        // accept() and the reads block: they run on threads of their own, never on the task pool.
        BlockingWork.start("emulator metadata server") {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }   // the socket was closed
                BlockingWork.start("emulator metadata request") { routes.serve(client) }
            }
        }
    }

    /// Stops accepting (the accept thread ends).
    func close() {
        guard !isClosed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        Glibc.close(fd)
    }

    deinit { close() }
}

/// What the metadata server answers, one HTTP/1.1 request per connection.
struct MetadataRoutes: Sendable {
    let tokens: TokenIssuer
    let projectID: String

    func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let head = readHead(client) else { return }
        let lines = head.split(separator: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        let flavored = lines.dropFirst().contains { $0.lowercased().replacing(" ", with: "") == "metadata-flavor:google" }
        let path = parts.count > 1 ? String(parts[1].split(separator: "?").first ?? "") : ""
        let (status, body) = flavored ? answer(path) : (403, "Missing Metadata-Flavor:Google header.")
        let reply = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nMetadata-Flavor: Google\r\n"
            + "Content-Type: \(body.hasPrefix("{") ? "application/json" : "text/plain")\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        _ = Array(reply.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private func answer(_ path: String) -> (Int, String) {
        switch path {
        case "/": (200, "")
        case "/computeMetadata/v1/instance/service-accounts/default/token": (200, tokens.metadataToken())
        case "/computeMetadata/v1/instance/service-accounts/default/email": (200, EmulatorFiles.serviceAccountEmail)
        case "/computeMetadata/v1/project/project-id": (200, projectID)
        case "/computeMetadata/v1/universe/universe-domain": (200, "googleapis.com")
        default: (404, "Not found: \(path)")
        }
    }

    /// The request line and headers (bodies are not expected).
    private func readHead(_ client: Int32) -> String? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            bytes += buffer.prefix(count)
            if bytes.firstRange(of: Array("\r\n\r\n".utf8)) != nil { return String(decoding: bytes, as: UTF8.self) }
        }
        return nil
    }
}

/// A failure to start the emulator.
public struct EmulatorError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}

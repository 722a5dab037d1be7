import Foundation
import MTLS
import TestSupport
import Testing

@Suite("TCP connection establishment and connect-to rules")
struct ConnectTests {
    let pki = TestPKI.shared

    @Test("a closed port fails fast with connectionRefused naming the address")
    func refusedPort() async throws {
        let port = try freeLoopbackPort()
        let error = await #expect(throws: TLSError.self) {
            _ = try await TLSConnection.connect(host: "127.0.0.1", port: port, configuration: pki.configuration())
        }
        #expect(error?.code == .connectionRefused)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
    }

    @Test("a listener whose backlog is full makes connect time out at the given timeout")
    func connectTimeout() async throws {
        // A listener that never accepts, with its queue filled: further SYNs are dropped.
        let (listener, port) = silentListener(backlog: 0)
        defer { close(listener) }
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<4 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var target = loopback(port: port)
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fillers.append(fd)
        }
        let start = ContinuousClock.now
        let error = await #expect(throws: TLSError.self) {
            _ = try await TLSConnection.connect(host: "127.0.0.1", port: port, configuration: pki.configuration(),
                                                timeout: .milliseconds(300))
        }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .connectTimeout || error?.code == .handshakeTimeout)
        // Below the 10 s default and far below the kernel's minutes of SYN retries; the margin is
        // wide because the whole suite starts at once on two cores and delays every task.
        #expect(elapsed < .seconds(9))
    }

    @Test("a name that does not resolve fails with nameResolution")
    func unresolvableName() async throws {
        let error = await #expect(throws: TLSError.self) {
            _ = try await TLSConnection.connect(host: "no-such-host.invalid", port: 443, configuration: pki.configuration())
        }
        #expect(error?.code == .nameResolution)
        #expect(error?.message.contains("no-such-host.invalid") == true)
    }

    @Test("cancelling the task cancels a handshake that never completes")
    func cancellationStopsAHangingHandshake() async throws {
        // A plain TCP listener that accepts (via the backlog) but never speaks TLS.
        let (listener, port) = silentListener(backlog: 8)
        defer { close(listener) }
        let task = Task {
            try await TLSConnection.connect(host: "127.0.0.1", port: port, configuration: pki.configuration(),
                                            timeout: .seconds(30))
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    @Test("connect-to rules parse curl's syntax", arguments: [
        ("storage.mtls.googleapis.com:443:127.0.0.1:8443", "storage.mtls.googleapis.com", 443, "127.0.0.1", 8443),
        ("::127.0.0.1:8443", "any.example", 443, "127.0.0.1", 8443),
        ("example.com:443::8443", "example.com", 443, "example.com", 8443),
        ("[::1]:443:[::1]:9443", "::1", 443, "::1", 9443),
        ("example.com::localhost:", "example.com", 80, "localhost", 80),
    ])
    func connectToParsing(_ rule: String, _ host: String, _ port: Int, _ targetHost: String, _ targetPort: Int) throws {
        let parsed = try ConnectTo(parsing: rule)
        let target = ConnectTo.target(for: host, port: port, rules: [parsed])
        #expect(target.host == targetHost)
        #expect(target.port == targetPort)
    }

    @Test("a rule for another host or port leaves the target alone")
    func connectToNonMatching() throws {
        let rule = try ConnectTo(parsing: "storage.mtls.googleapis.com:443:127.0.0.1:8443")
        #expect(ConnectTo.target(for: "pubsub.mtls.googleapis.com", port: 443, rules: [rule]) == ("pubsub.mtls.googleapis.com", 443))
        #expect(ConnectTo.target(for: "storage.mtls.googleapis.com", port: 80, rules: [rule]) == ("storage.mtls.googleapis.com", 80))
    }

    @Test("malformed connect-to rules are errors that show the rule", arguments: ["a:b:c", "h:99999:x:1", "h:443:x:port"])
    func connectToRejectsMalformed(_ rule: String) {
        let error = #expect(throws: TLSError.self) { try ConnectTo(parsing: rule) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(rule) == true)
    }
}

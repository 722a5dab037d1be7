import Foundation
@testable import HTTP2
import MTLS
import TestSupport
import Testing

@Suite("The connection pool")
struct ConnectionPoolTests {
    let pki = TestPKI.shared
    var base: String { "https://\(TestPKI.serverName)" }

    @Test("a host gets more connections only when each is at the server's stream limit (known from its SETTINGS), up to the maximum")
    func growsAtTheStreamLimit() async throws {
        let directory = try pki.scratch("pool")
        try Data(randomBytes(2 << 20)).write(to: directory.appendingPathComponent("blob"))
        let peer = try await Nginx.start(documentRoot: directory.path, maxConcurrentStreams: 2)
        defer { peer.stop() }
        let client = try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo, maxConnectionsPerHost: 3))
        // No request first: a burst on a fresh connection must wait for the server's SETTINGS
        // (2 streams) rather than pile onto a connection whose limit it does not know yet.
        let peak = Peak()
        let url = "\(base)/files/blob"
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<12 {
                group.addTask {
                    let response = try await client.execute(HTTPRequest(url: url), timeout: .seconds(60))
                    peak.value.withLock { $0 = max($0, client.connectionCount()) }
                    for try await _ in response.body { try await Task.sleep(for: .milliseconds(15)) }   // hold the stream a while
                    #expect(response.status == 200)
                }
            }
            try await group.waitForAll()
        }
        #expect(peak.value.withLock { $0 } == 3)
        #expect(client.connectionCount() <= 3)
        await client.shutdown()
    }

    @Test("a burst on a new connection waits for the server's SETTINGS instead of exceeding its stream limit")
    func burstWaitsForTheServersSettings() async throws {
        let peer = try await FaultServer.start(mode: .lateSettings)   // 2 streams, announced 0.3 s late
        defer { peer.stop() }
        let client = try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo, maxConnectionsPerHost: 3))
        let peak = Peak()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let response = try await client.execute(HTTPRequest(url: "\(base)/ok-later"), timeout: .seconds(30))
                    peak.value.withLock { $0 = max($0, client.connectionCount()) }
                    #expect(String(decoding: try await response.body.collect(upTo: 64), as: UTF8.self) == "ok")
                }
            }
            try await group.waitForAll()
        }
        #expect(peak.value.withLock { $0 } == 3)
        await client.shutdown()
    }

    @Test("a request waiting for a silent server's SETTINGS ends at its own deadline, or at once when cancelled")
    func waitingForSettingsEndsAtTheDeadlineOrCancellation() async throws {
        let peer = try await FaultServer.start(mode: .noSettings)
        defer { peer.stop() }
        let client = try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo))
        // The first request takes the one stream a connection offers before the server's SETTINGS.
        let first = Task { try await client.execute(HTTPRequest(url: "\(base)/ok"), timeout: .seconds(20)) }
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "\(base)/ok"), timeout: .milliseconds(500))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(ContinuousClock.now - start < .seconds(5), "not held until the first request's deadline")
        let waiting = Task { try await client.execute(HTTPRequest(url: "\(base)/ok"), timeout: .seconds(20)) }
        try await Task.sleep(for: .milliseconds(200))
        let cancelledAt = ContinuousClock.now
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        #expect(ContinuousClock.now - cancelledAt < .seconds(5), "not held until the first request's deadline")
        first.cancel()
        await client.shutdown()
    }

    @Test("an idle connection closes itself, and the next request opens a new one")
    func idleConnectionsClose() async throws {
        let peer = try await Nginx.start()
        defer { peer.stop() }
        let client = try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo, idleTimeout: .milliseconds(200)))
        _ = try await client.execute(HTTPRequest(url: "\(base)/small")).body.collect(upTo: 4096)
        #expect(client.connectionCount() == 1)
        let start = ContinuousClock.now
        while client.connectionCount() > 0 && ContinuousClock.now - start < .seconds(5) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(client.connectionCount() == 0)
        let response = try await client.execute(HTTPRequest(url: "\(base)/small"))
        #expect(response.status == 200)
        await client.shutdown()
    }
}

/// The most connections seen at once.
private final class Peak: Sendable {
    let value = Locked(0)
}

@Suite("Keepalive and client shutdown")
struct KeepAliveTests {
    let pki = TestPKI.shared

    @Test("a server that stops answering PINGs is detected within the PING timeout, not the request deadline")
    func unansweredPingEndsTheConnection() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        var configuration = HTTPClient.Configuration(tls: pki.configuration(identity: try pki.client.identity()),
                                                     connectTo: peer.connectTo)
        configuration.pingInterval = .milliseconds(200)
        configuration.pingTimeout = .milliseconds(500)
        let client = try HTTPClient(configuration: configuration)
        let start = ContinuousClock.now
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "https://\(TestPKI.serverName)/freeze"), timeout: .seconds(30))
        }
        #expect(error?.message.contains("PING") == true, "\(String(describing: error))")
        #expect(ContinuousClock.now - start < .seconds(10))
        await client.shutdown()
    }

    @Test("shutting a client down closes its connections, and later requests fail with shutdown")
    func shutdownClosesConnections() async throws {
        let peer = try await Nginx.start()
        defer { peer.stop() }
        let client = try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo))
        for _ in 0..<5 { _ = try await client.execute(HTTPRequest(url: "https://\(TestPKI.serverName)/small")).body.collect(upTo: 4096) }
        #expect(client.connectionCount() == 1)
        await client.shutdown()
        #expect(client.connectionCount() == 0)
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "https://\(TestPKI.serverName)/small"))
        }
        #expect(error?.code == .shutdown)
    }
}

@Suite("Backpressure")
struct BackpressureTests {
    let pki = TestPKI.shared

    @Test("a slow reader of a 64 MiB body never has more than one stream window buffered, and gets every byte")
    func slowReaderBuffersAtMostOneWindow() async throws {
        let directory = try pki.scratch("slow")
        let blob = randomBytes(64 << 20)
        try Data(blob).write(to: directory.appendingPathComponent("blob"))
        let peer = try await Nginx.start(documentRoot: directory.path)
        defer { peer.stop() }
        let client = try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo))
        let response = try await client.execute(HTTPRequest(url: "https://\(TestPKI.serverName)/files/blob"),
                                                timeout: .seconds(120))
        var received: [UInt8] = []
        var peak = 0
        var iterator = response.body.makeAsyncIterator()
        for _ in 0..<40 {   // slowly: the server could send far more than this in the time
            guard let chunk = try await iterator.next() else { break }
            received += chunk
            try await Task.sleep(for: .milliseconds(20))
            peak = max(peak, await client.bufferedBodyBytes())
        }
        while let chunk = try await iterator.next() { received += chunk }
        let window = 4 << 20
        #expect(peak > 0)
        #expect(peak <= window, "buffered \(peak) bytes, more than the \(window)-byte stream window")
        #expect(Digest.sha256(received) == Digest.sha256(blob))
        await client.shutdown()
    }
}

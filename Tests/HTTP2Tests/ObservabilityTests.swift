import Foundation
import HTTP2
import MTLS
import TestSupport
import Testing

/// Events a test logger received.
private final class Recorded: Sendable {
    let events = Locked<[(ClientLogger.Level, String, [String: String])]>([])
}

@Suite("Observability")
struct ObservabilityTests {
    let pki = TestPKI.shared

    @Test("connection events arrive at debug and stream events at trace, with no header value in them")
    func loggerReceivesEvents() async throws {
        let peer = try await Nginx.start()
        defer { peer.stop() }
        let recorded = Recorded()
        var configuration = HTTPClient.Configuration(tls: pki.configuration(identity: try pki.client.identity()),
                                                     connectTo: peer.connectTo)
        configuration.logger = ClientLogger(level: .trace) { level, message, metadata in
            recorded.events.withLock { $0.append((level, message, metadata)) }
        }
        let client = try HTTPClient(configuration: configuration)
        let secret = "Bearer ya29.secret-token-that-must-not-be-logged"
        let response = try await client.execute(HTTPRequest(url: "https://\(TestPKI.serverName)/small",
                                                             headers: ["authorization": secret]))
        _ = try await response.body.collect(upTo: 4096)
        await client.shutdown()
        let events = recorded.events.withLock { $0 }
        let opened = try #require(events.first { $0.1 == "connection opened" })
        #expect(opened.0 == .debug)
        #expect(opened.2["tls"] == "TLS1.3")
        #expect(opened.2["client_certificate"]?.contains("CN=test-device") == true)
        #expect(events.contains { $0.0 == .trace && $0.1 == "stream opened" && $0.2["path"] == "/small" })
        #expect(events.contains { $0.0 == .trace && $0.1 == "stream finished" && $0.2["status"] == "200" })
        #expect(events.contains { $0.0 == .debug && $0.1 == "connection closed" })
        let everything = events.map { "\($0.1) \($0.2)" }.joined()
        #expect(!everything.contains("secret-token"))
    }

    @Test("events below the logger's level are not built or passed on")
    func levelFilters() async throws {
        let peer = try await Nginx.start()
        defer { peer.stop() }
        let recorded = Recorded()
        var configuration = HTTPClient.Configuration(tls: pki.configuration(identity: try pki.client.identity()),
                                                     connectTo: peer.connectTo)
        configuration.logger = ClientLogger(level: .debug) { level, message, metadata in
            recorded.events.withLock { $0.append((level, message, metadata)) }
        }
        let client = try HTTPClient(configuration: configuration)
        _ = try await client.execute(HTTPRequest(url: "https://\(TestPKI.serverName)/small")).body.collect(upTo: 4096)
        await client.shutdown()
        let levels = recorded.events.withLock { $0.map(\.0) }
        #expect(!levels.isEmpty)
        #expect(levels.allSatisfy { $0 >= .debug })
    }

    @Test("metrics time the connection set-up for the request that opened it, and time to first byte for all")
    func metrics() async throws {
        let peer = try await Nginx.start()
        defer { peer.stop() }
        let client = try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo))
        let first = try await client.execute(HTTPRequest(url: "https://\(TestPKI.serverName)/small"))
        _ = try await first.body.collect(upTo: 4096)
        let setup = try #require(first.metrics.newConnection)
        #expect(setup.tlsHandshake > .zero)
        #expect(setup.tcpConnect > .zero)
        #expect(first.metrics.timeToFirstByte >= setup.tlsHandshake)
        #expect(first.metrics.attempts == 1)
        let second = try await client.execute(HTTPRequest(method: "POST", url: "https://\(TestPKI.serverName)/upload",
                                                          body: .bytes(Array(repeating: 7, count: 1000))))
        _ = try await second.body.collect(upTo: 4096)
        #expect(second.metrics.newConnection == nil)
        #expect(second.metrics.requestBodyBytes == 1000)
        #expect(second.metrics.timeToFirstByte > .zero)
        await client.shutdown()
    }
}

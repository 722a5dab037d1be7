import Foundation
import HTTP2
import MTLS
import TestSupport
import Testing

/// The client against a server that misbehaves on purpose (`Tests/Peers/h2_fault_server.py`):
/// each failure is reported as the right `HTTPClientError`, or hidden when a retry is safe, and
/// the same client keeps working afterwards.
@Suite("HTTP/2 client against a fault-injecting server", .timeLimit(.minutes(1)))
struct FaultInjectionTests {
    let pki = TestPKI.shared

    var base: String { "https://\(TestPKI.serverName)" }

    func client(for peer: PeerProcess) throws -> HTTPClient {
        try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                            connectTo: peer.connectTo))
    }

    /// Proves the client still works: a `/ok` request on it succeeds.
    func expectStillWorks(_ client: HTTPClient, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let response = try await client.execute(HTTPRequest(url: "\(base)/ok"), timeout: .seconds(5))
        #expect(response.status == 200, sourceLocation: sourceLocation)
        let body = try await response.body.collect(upTo: 4096)
        #expect(body == Array("ok".utf8), sourceLocation: sourceLocation)
    }

    @Test("a stream refused with REFUSED_STREAM is retried transparently and succeeds")
    func refusedOnce() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        let response = try await client.execute(HTTPRequest(url: "\(base)/refuse-once"), timeout: .seconds(5))
        #expect(response.status == 200)
        #expect(try await response.body.collect(upTo: 4096) == Array("ok".utf8))
        try await expectStillWorks(client)
        await client.shutdown()
    }

    @Test("streams above a GOAWAY's last stream id are retried on a new connection: 3 concurrent requests all succeed")
    func goAwayMidFlight() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        let results = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for index in 0..<3 {
                group.addTask {
                    let response = try await client.execute(HTTPRequest(url: "\(base)/goaway-once?n=\(index)"),
                                                            timeout: .seconds(5))
                    return (response.status, try await response.body.collect(upTo: 4096))
                }
            }
            var results: [(Int, [UInt8])] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0.0 == 200 && $0.1 == Array("ok".utf8) })
        try await expectStillWorks(client)
        await client.shutdown()
    }

    @Test("RST_STREAM after the response headers fails the body read with streamReset, not retry-safe")
    func resetAfterHeaders() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        let response = try await client.execute(HTTPRequest(url: "\(base)/reset"), timeout: .seconds(5))
        #expect(response.status == 200)
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await response.body.collect(upTo: 4096)
        }
        #expect(error?.code == .streamReset)
        #expect(error?.isRetrySafe == false)
        try await expectStillWorks(client)
        await client.shutdown()
    }

    @Test("a server that never answers fails the request with deadlineExceeded at the deadline")
    func stallHitsDeadline() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        try await expectStillWorks(client)   // connected already: the clock measures the stall only
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await client.execute(HTTPRequest(url: "\(base)/stall"), timeout: .milliseconds(500))
        }
        let elapsed = clock.now - started
        #expect(error?.code == .deadlineExceeded)
        #expect(elapsed >= .milliseconds(450))
        #expect(elapsed < .seconds(3), "took \(elapsed)")
        try await expectStillWorks(client)
        await client.shutdown()
    }

    @Test("streams sharing a connection each fail at their own deadline, an earlier one sent later included")
    func deadlinesOfOneConnection() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        try await expectStillWorks(client)   // one connection, already open
        let clock = ContinuousClock()
        let started = clock.now
        // How long a stalled request with `timeout` took to fail, and with what.
        func stall(_ timeout: Duration) async -> (Duration, HTTPClientError.Code?) {
            do {
                _ = try await client.execute(HTTPRequest(url: "\(base)/stall"), timeout: timeout)
                return (clock.now - started, nil)
            } catch {
                return (clock.now - started, (error as? HTTPClientError)?.code)
            }
        }
        async let late = stall(.seconds(3))
        try await Task.sleep(for: .milliseconds(100))
        async let early = stall(.milliseconds(500))
        let (earlyElapsed, earlyCode) = await early
        let (lateElapsed, lateCode) = await late
        #expect(earlyCode == .deadlineExceeded && lateCode == .deadlineExceeded)
        #expect(earlyElapsed >= .milliseconds(550) && earlyElapsed < .seconds(2), "the early one took \(earlyElapsed)")
        #expect(lateElapsed >= .milliseconds(2950) && lateElapsed < .seconds(5), "the late one took \(lateElapsed)")
        try await expectStillWorks(client)
        await client.shutdown()
    }

    @Test("an upload to a server that never opens its flow-control window fails with deadlineExceeded")
    func uploadIntoClosedWindow() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        let payload = randomBytes(1 << 20)
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: HTTPClientError.self) {
            let response = try await client.execute(HTTPRequest(method: "POST", url: "\(base)/no-read", body: .bytes(payload)),
                                                    timeout: .seconds(1))
            _ = try await response.body.collect(upTo: 4096)
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(clock.now - started < .seconds(4), "took \(clock.now - started)")
        try await expectStillWorks(client)
        await client.shutdown()
    }

    /// With `keep-open` the server stays connected after the client's GOAWAY(COMPRESSION_ERROR),
    /// so the client must fail the request by itself rather than wait for the server to hang up.
    @Test("a 200 KB response header fails the request with an HTTPClientError instead of hanging or crashing",
          arguments: ["", "?keep-open"])
    func hugeHeaders(_ query: String) async throws {
        let error = try await failureWithoutHanging("/huge-headers\(query)")
        // Any code will do, but running into the deadline would mean the client hung.
        #expect(error != nil && error?.code != .deadlineExceeded, "got \(String(describing: error))")
    }

    /// With `keep-open` the server stays connected after the client's GOAWAY, so the client must
    /// fail the request by itself rather than wait for the server to hang up.
    @Test("an invalid frame (DATA on stream 0) fails the request with protocolError or connectionClosed",
          arguments: ["", "?keep-open"])
    func malformedFrame(_ query: String) async throws {
        let error = try await failureWithoutHanging("/malformed\(query)")
        #expect(error?.code == .protocolError || error?.code == .connectionClosed, "got \(String(describing: error))")
    }

    /// Requests `path` from a fresh fault server and returns the error, checking that it came well
    /// before the 5 s deadline and that the client works afterwards.
    private func failureWithoutHanging(_ path: String) async throws -> HTTPClientError? {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: HTTPClientError.self) {
            let response = try await client.execute(HTTPRequest(url: "\(base)\(path)"), timeout: .seconds(5))
            _ = try await response.body.collect(upTo: 1 << 20)
        }
        #expect(clock.now - started < .seconds(4), "took \(clock.now - started)")
        try await expectStillWorks(client)
        await client.shutdown()
        return error
    }

    @Test("a TCP connection dropped mid-body fails the body read instead of ending the body cleanly")
    func droppedMidBody() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        let response = try await client.execute(HTTPRequest(url: "\(base)/drop"), timeout: .seconds(5))
        #expect(response.status == 200)
        // Any error will do (connectionClosed is expected); a clean end would pass off 1 000 of the
        // announced 100 000 bytes as the whole body.
        await #expect(throws: (any Error).self) {
            _ = try await response.body.collect(upTo: 1 << 20)
        }
        try await expectStillWorks(client)
        await client.shutdown()
    }

    @Test("a whole response sent just before the server drops the connection is delivered, not lost with it")
    func answeredThenDropped() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        // The response and the end of the connection arrive together, or nearly: several rounds
        // make it likely that one read finds both. A client per round: a request sent after the
        // answer could meet the drop, and without a GOAWAY nobody can tell whether it was processed.
        for _ in 0..<5 {
            let client = try client(for: peer)
            let response = try await client.execute(HTTPRequest(url: "\(base)/answer-then-drop"), timeout: .seconds(5))
            #expect(response.status == 200)
            #expect(try await response.body.collect(upTo: 4096) == Array("complete".utf8))
            await client.shutdown()
        }
    }

    @Test("a body trickling in past the deadline fails with deadlineExceeded (the deadline wins)")
    func slowTrickleDeadlineWins() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        let clock = ContinuousClock()
        let started = clock.now
        var received: [UInt8] = []
        let error = await #expect(throws: HTTPClientError.self) {
            let response = try await client.execute(HTTPRequest(url: "\(base)/slow-trickle"), timeout: .seconds(1))
            for try await chunk in response.body { received += chunk }
        }
        let elapsed = clock.now - started
        #expect(error?.code == .deadlineExceeded)
        #expect(received.count < 50)
        #expect(elapsed < .seconds(4), "took \(elapsed)")
        try await expectStillWorks(client)
        await client.shutdown()
    }

    @Test("a 1 MiB upload to /echo comes back identical")
    func echo() async throws {
        let peer = try await FaultServer.start()
        defer { peer.stop() }
        let client = try client(for: peer)
        let payload = randomBytes(1 << 20)
        let response = try await client.execute(HTTPRequest(method: "POST", url: "\(base)/echo", body: .bytes(payload)),
                                                timeout: .seconds(20))
        #expect(response.status == 200)
        let body = try await response.body.collect(upTo: 2 << 20)
        #expect(body.count == payload.count)
        #expect(Digest.sha256(body) == Digest.sha256(payload))
        try await expectStillWorks(client)
        await client.shutdown()
    }
}

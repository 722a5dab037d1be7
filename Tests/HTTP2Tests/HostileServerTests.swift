import Foundation
import HTTP2
import MTLS
import TestSupport
import Testing

/// One case of the hostile-server matrix of `Tests/Peers/h2_fault_server.py` and what the client
/// may make of it: the error codes that are a correct failure, and the body of a success where
/// the protocol leaves room for one (nil: the request must fail).
struct HostileCase: Sendable, CustomTestStringConvertible {
    /// The request path (for `.garbagePreface` only a label: the whole server misbehaves).
    let path: String
    var mode: FaultServer.Mode = .normal
    /// The `HTTPClientError` codes that are a correct failure.
    let errors: Set<HTTPClientError.Code>
    /// The body of a legitimate success (status 200); nil when the request must fail.
    var success: [UInt8]? = nil
    /// How long the caller waits between the response head and reading the body.
    var pauseBeforeBody: Duration = .zero

    var testDescription: String { path }

    private static let ok = Array("ok".utf8)

    static let all: [HostileCase] = [
        // Junk instead of SETTINGS: a connection error before any response. If the request had no
        // stream yet, it was never sent, so refusedStream (after the client's retries) is right too.
        HostileCase(path: "/garbage-preface", mode: .garbagePreface, errors: [.protocolError, .connectionClosed, .refusedStream]),
        // Floods of frames that need an ACK: a client may keep up (then "ok" follows) or call it a
        // flood and drop the connection (nghttp2: NGHTTP2_ERR_FLOODED beyond 1 000 queued ACKs).
        HostileCase(path: "/settings-flood", errors: [.protocolError, .connectionClosed], success: ok),
        HostileCase(path: "/ping-flood", errors: [.protocolError, .connectionClosed], success: ok),
        // RST_STREAM for idle streams is a connection error in RFC 9113; a lenient client that
        // ignores them gets "ok".
        HostileCase(path: "/rst-flood", errors: [.protocolError, .connectionClosed], success: ok),
        // A send window past 2^31-1 MUST end the connection (RFC 9113 6.9.1): no success.
        HostileCase(path: "/window-overflow", errors: [.protocolError, .connectionClosed]),
        // The caller reads nothing for 2 s, so the client grants no window beyond its 4 MiB: the
        // 8 MiB sent at once break flow control (nghttp2: RST_STREAM(FLOW_CONTROL_ERROR)). A reader
        // that kept up would have granted the window in time, hence the pause.
        HostileCase(path: "/data-beyond-window", errors: [.protocolError, .connectionClosed, .streamReset],
                    pauseBeforeBody: .seconds(2)),
        // 1 000 bytes against content-length 10: a malformed response (RFC 9113 8.1.1), no success.
        HostileCase(path: "/body-beyond-length", errors: [.protocolError, .connectionClosed, .streamReset]),
        // Only the client's own verdict counts: connectionClosed would mean it swallowed CONTINUATION
        // frames until the server gave up at its 100 MiB bound.
        HostileCase(path: "/continuation-flood", errors: [.protocolError]),
        // 40 MB of header fields from 14 KB: legal, as the client sets no SETTINGS_MAX_HEADER_LIST_SIZE,
        // so "ok" is a success; a client enforcing a header-list limit fails it instead.
        HostileCase(path: "/hpack-bomb", errors: [.protocolError, .connectionClosed, .streamReset], success: ok),
        // The response was complete before the second HEADERS: it must be delivered as it was.
        HostileCase(path: "/stream-reuse", errors: [], success: ok),
        // GOAWAY(0) after GOAWAY(1) disowns stream 1 whose response has begun: it fails, but never
        // as refusedStream (retry-safe), since the server did process it; a client that keeps
        // the stream gets all 10 bytes.
        HostileCase(path: "/goaway-lower", errors: [.protocolError, .connectionClosed, .streamReset],
                    success: Array("0123456789".utf8)),
        // A body cut short, then TCP closed with no close_notify: a truncation, never a success.
        HostileCase(path: "/drop", errors: [.connectionClosed, .streamReset]),
        // 50 bytes over 5 s: slow but well within the bound.
        HostileCase(path: "/slow-trickle", errors: [], success: Array(repeating: UInt8(ascii: "t"), count: 50)),
    ]
}

/// The client against a server that breaks HTTP/2 at the frame level (floods, flow-control and
/// HPACK abuse, frames on closed streams, contradictory GOAWAYs, a garbage preface): each request
/// ends promptly in a typed error, or a success where that is legitimate, and nothing hangs.
@Suite("HTTP/2 client against a hostile server", .timeLimit(.minutes(1)))
struct HostileServerTests {
    let pki = TestPKI.shared

    var base: String { "https://\(TestPKI.serverName)" }

    /// How long one hostile exchange (head and body) may take; also the request's timeout.
    static let bound: Duration = .seconds(20)

    /// The status and whole body of a response, or how the request failed.
    typealias Outcome = Result<(status: Int, body: [UInt8]), any Error>

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

    @Test("each hostile-server case ends within 20 s in a typed error or a legitimate success, and a new client works afterwards",
          arguments: HostileCase.all)
    func hostileServerNeverHangsTheClient(_ hostile: HostileCase) async throws {
        let peer = try await FaultServer.start(mode: hostile.mode)
        defer { peer.stop() }
        let client = try client(for: peer)
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = await exchange(hostile, on: client)
        let elapsed = clock.now - started
        await client.shutdown()
        #expect(elapsed < Self.bound, "\(hostile.path) took \(elapsed)")
        expectAcceptable(outcome, for: hostile)

        // A new client, against a well-behaved server (the garbage-preface one never answers).
        let healthy = hostile.mode == .normal ? peer : try await FaultServer.start()
        defer { healthy.stop() }
        let fresh = try self.client(for: healthy)
        try await expectStillWorks(fresh)
        await fresh.shutdown()
    }

    /// Sends the case's request and reads the whole body (after the case's pause).
    private func exchange(_ hostile: HostileCase, on client: HTTPClient) async -> Outcome {
        do {
            let response = try await client.execute(HTTPRequest(url: "\(base)\(hostile.path)"), timeout: Self.bound)
            if hostile.pauseBeforeBody > .zero { try await Task.sleep(for: hostile.pauseBeforeBody) }
            let body = try await response.body.collect(upTo: 16 << 20)
            return .success((response.status, body))
        } catch {
            return .failure(error)
        }
    }

    /// A success only where the case allows one, with the right body; otherwise an error of one of
    /// the case's codes (a `TLSError` counts as `connectionClosed`), retry-safe only if refusedStream.
    private func expectAcceptable(_ outcome: Outcome, for hostile: HostileCase) {
        switch outcome {
        case .success(let response):
            guard let expected = hostile.success else {
                Issue.record("\(hostile.path) succeeded (status \(response.status), \(response.body.count) bytes) but must fail")
                return
            }
            #expect(response.status == 200 && response.body == expected,
                    "\(hostile.path): status \(response.status), \(response.body.count) bytes")
        case .failure(let error as HTTPClientError):
            #expect(hostile.errors.contains(error.code), "\(hostile.path): \(error)")
            #expect(error.code == .refusedStream || !error.isRetrySafe, "\(hostile.path) called retry-safe: \(error)")
        case .failure(let error as TLSError):
            #expect(hostile.errors.contains(.connectionClosed) && error.code == .connectionClosed, "\(hostile.path): \(error)")
        case .failure(let error):
            Issue.record("\(hostile.path) failed with an untyped error: \(error)")
        }
    }
}

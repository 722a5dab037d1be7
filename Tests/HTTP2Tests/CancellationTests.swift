import Foundation
@testable import HTTP2
import MTLS
import Synchronization
import TestSupport
import Testing

/// Cancelled requests and dropped responses leave nothing behind: no stream stays tracked, no
/// flow-control window stays consumed, no task hangs, and the client keeps working.
@Suite("Cancellation and abandoned responses leave nothing behind", .timeLimit(.minutes(3)))
struct CancellationTests {
    let pki = TestPKI.shared

    var base: String { "https://\(TestPKI.serverName)" }

    func client(for peer: NginxPeer) throws -> HTTPClient {
        try HTTPClient(configuration: .init(tls: pki.configuration(identity: try pki.client.identity()),
                                            connectTo: peer.connectTo))
    }

    /// nginx serving one 4 MiB random file as `/files/blob`; returns the peer and the file's bytes.
    func nginxWithBlob() async throws -> (NginxPeer, [UInt8]) {
        let directory = try pki.scratch("files")
        let blob = randomBytes(4 << 20)
        try Data(blob).write(to: directory.appendingPathComponent("blob"))
        return (try await Nginx.start(documentRoot: directory.path), blob)
    }

    /// Polls `client.streamCount()` until it is 0 or `limit` passed; returns the last count.
    func waitForNoStreams(_ client: HTTPClient, within limit: Duration = .seconds(5)) async -> Int {
        let deadline = ContinuousClock.now + limit
        var count = await client.streamCount()
        while count != 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
            count = await client.streamCount()
        }
        return count
    }

    /// The client still serves a small request and a whole download (which would stall if
    /// connection-level window had leaked).
    func expectClientStillWorks(_ client: HTTPClient, blob: [UInt8]) async throws {
        let small = try await client.execute(HTTPRequest(url: "\(base)/small"), timeout: .seconds(10))
        #expect(small.status == 200)
        #expect(String(decoding: try await small.body.collect(upTo: 4096), as: UTF8.self).contains("storage#object"))
        let download = try await client.execute(HTTPRequest(url: "\(base)/files/blob"), timeout: .seconds(30))
        #expect(download.status == 200)
        #expect(Digest.sha256(try await download.body.collect(upTo: 8 << 20)) == Digest.sha256(blob))
    }

    enum Outcome: Sendable {
        case completed
        case cancelled
        case failed(String)
    }

    @Test("1 000 slow downloads cancelled mid-flight all end, release every stream, and the client keeps working")
    func cancelledRequestsReleaseAllStreams() async throws {
        let (peer, blob) = try await nginxWithBlob()
        defer { peer.stop() }
        let client = try client(for: peer)
        let base = base
        let total = 1000
        let ended = Counter()

        // The requests run in a task group inside an unstructured task, so that a task that never
        // ends is reported (below) instead of hanging the test.
        let work = Task {
            await withTaskGroup(of: Outcome.self, returning: [Outcome].self) { group in
                for _ in 0..<total {
                    group.addTask {
                        defer { ended.increment() }
                        do {
                            let response = try await client.execute(HTTPRequest(url: "\(base)/files/blob"),
                                                                    timeout: .seconds(120))
                            for try await _ in response.body { try await Task.sleep(for: .milliseconds(5)) }
                            return .completed
                        } catch is CancellationError {
                            return .cancelled
                        } catch {
                            return .failed("\(error)")
                        }
                    }
                }
                try? await Task.sleep(for: .milliseconds(300))
                group.cancelAll()
                var outcomes: [Outcome] = []
                for await outcome in group { outcomes.append(outcome) }
                return outcomes
            }
        }

        // Every task must end, promptly: cancellation may not leave one waiting forever.
        let deadline = ContinuousClock.now + .seconds(60)
        while ended.value < total && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let endedCount = ended.value
        let tracked = await client.streamCount()
        try #require(endedCount == total, "only \(endedCount) of \(total) cancelled tasks ended within 60 s; \(tracked) streams still tracked")
        let outcomes = await work.value
        #expect(outcomes.count == total)
        let cancelled = outcomes.filter { if case .cancelled = $0 { true } else { false } }.count
        let failures = outcomes.compactMap { if case .failed(let message) = $0 { message } else { nil } }
        #expect(cancelled > 0, "no request was still in flight when the group was cancelled")
        let example = failures.first ?? ""
        #expect(failures.isEmpty, "\(failures.count) cancelled requests failed with something other than CancellationError, e.g. \(example)")

        let remaining = await waitForNoStreams(client)
        #expect(remaining == 0, "\(remaining) streams still tracked 5 s after every cancelled task ended")
        try await expectClientStillWorks(client, blob: blob)
        #expect(await waitForNoStreams(client) == 0)
        await client.shutdown()
    }

    @Test("200 responses dropped unread reset their streams and free their windows")
    func droppedResponsesReleaseStreamsAndWindows() async throws {
        let (peer, blob) = try await nginxWithBlob()
        defer { peer.stop() }
        let client = try client(for: peer)
        let base = base
        // 200 x 4 MiB is far more than the 256 MiB connection window: were dropped bodies not
        // credited back, later responses (and the final download) would stall.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            var statuses: [Int] = []
            for index in 0..<200 {
                if index >= 50, let status = try await group.next() { statuses.append(status) }
                group.addTask {
                    // The response lives only in this scope; its body is never read. It is held a
                    // moment first, so that part of its body is buffered when it is dropped.
                    let response = try await client.execute(HTTPRequest(url: "\(base)/files/blob"), timeout: .seconds(60))
                    try await Task.sleep(for: .milliseconds(20))
                    return response.status
                }
            }
            for try await status in group { statuses.append(status) }
            return statuses
        }
        #expect(statuses.count == 200)
        #expect(statuses.allSatisfy { $0 == 200 })

        let remaining = await waitForNoStreams(client)
        #expect(remaining == 0, "\(remaining) streams still tracked 5 s after their responses were dropped")
        try await expectClientStillWorks(client, blob: blob)
        #expect(await waitForNoStreams(client) == 0)
        await client.shutdown()
    }
}

/// A count shared by tasks.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .sequentiallyConsistent) }
    /// Counts one more and returns the new count.
    func next() -> Int { count.add(1, ordering: .sequentiallyConsistent).newValue }
    var value: Int { count.load(ordering: .sequentiallyConsistent) }
}

import Glibc
import MTLS
import Synchronization

/// An h2load-style load run of this client: `requests` in all over `connections` connections with
/// `streams` in flight on each, after one warm-up request per connection (set-up is not timed).
/// Used by `h2bench` and `gmtls bench`; every run is bounded by its request count.
public struct HTTPBenchmark: Sendable {
    /// What one run measured.
    public struct Result: Encodable, Sendable {
        /// Latency percentiles in milliseconds.
        public struct Latency: Encodable, Sendable {
            public let p50: Double
            public let p99: Double
        }
        public let requests: Int
        public let failed: Int
        public let seconds: Double
        public let requestsPerSecond: Double
        public let bytesReceived: Int
        public let bytesSent: Int
        public let megabytesPerSecond: Double
        public let latencyMs: Latency
        public let peakRSSBytes: Int

        /// Two human lines: counts, then rates and latency.
        public var summary: String {
            "requests: \(requests), failed: \(failed), \(Self.fixed(seconds, 3)) s\n"
                + "\(Self.fixed(requestsPerSecond, 0)) req/s, \(Self.fixed(megabytesPerSecond, 1)) MB/s, "
                + "latency p50 \(Self.fixed(latencyMs.p50, 3)) ms p99 \(Self.fixed(latencyMs.p99, 3)) ms, "
                + "peak RSS \(Self.fixed(Double(peakRSSBytes) / 1e6, 1)) MB"
        }

        /// A number with `places` decimals.
        static func fixed(_ value: Double, _ places: Int) -> String {
            let scale = (0..<places).reduce(1.0) { value, _ in value * 10 }
            let rounded = (value * scale).rounded() / scale
            return places == 0 ? String(Int(rounded)) : String(rounded)
        }
    }

    /// The request sent each time (its body is replayed).
    public var request: HTTPRequest
    /// TLS settings, client identity included.
    public var tls: TLSConfiguration
    /// Connect-to rules.
    public var connectTo: [ConnectTo]
    /// Requests in all, connections, and streams in flight per connection (h2load's -n, -c, -m).
    public var requests: Int
    public var connections: Int
    public var streams: Int

    /// A run of `requests` requests over `connections` connections with `streams` streams each.
    public init(request: HTTPRequest, tls: TLSConfiguration, connectTo: [ConnectTo] = [], requests: Int,
                connections: Int = 1, streams: Int = 1) {
        self.request = request
        self.tls = tls
        self.connectTo = connectTo
        self.requests = max(1, requests)
        self.connections = max(1, connections)
        self.streams = max(1, streams)
    }

    /// Runs the load and measures it.
    public func run() async throws -> Result {
        // One client per connection, each keeping its own HTTP/2 connection to the host, all on one
        // event loop: h2load, too, runs its connections on one thread unless told otherwise.
        let loops = EventLoopGroup(loopCount: 1, name: "benchmark")
        let clients = try (0..<connections).map { _ in
            try HTTPClient(configuration: .init(tls: tls, connectTo: connectTo, eventLoopGroup: loops))
        }
        for client in clients {   // connect and warm up outside the timed part, as h2load's figures exclude set-up
            for try await _ in try await client.execute(request).body {}
        }
        let start = ContinuousClock.now
        let recorder = Recorder()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (client, count) in zip(clients, Self.shares(requests, connections)) {
                for share in Self.shares(count, streams) {
                    // Workers run on the clients' loop, as h2load runs on one thread: no thread switches.
                    group.addTask(executorPreference: loops.loops[0].taskExecutor) {
                        try await measure(client: client, count: share, into: recorder)
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        // The loop is left running: connections may still hand it their last work as they are released.
        for client in clients { await client.shutdown() }
        return recorder.tally.withLock { Self.result($0, elapsed: elapsed) }
    }

    /// What the workers measured, in a fixed size however many requests (the run's own memory
    /// stays out of its peak RSS figure).
    struct Tally: Sendable {
        /// From sending each request until its body was read, failures included.
        var latencies = LatencyHistogram()
        var received = 0
        var sent = 0
        var failed = 0

        mutating func record(_ latency: Duration, received: Int, sent: Int, ok: Bool) {
            latencies.record(latency)
            self.received += received
            self.sent += sent
            if !ok { failed += 1 }
        }
    }

    /// The tally the workers share (they take turns on one loop thread, so the lock is never contended).
    final class Recorder: Sendable {
        let tally: Mutex<Tally>
        init() { tally = Mutex(Tally()) }
    }

    /// `total` split into `parts` near-equal counts.
    static func shares(_ total: Int, _ parts: Int) -> [Int] {
        (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
    }

    /// Sends `count` requests one after another on `client`, timing each until its body is read.
    private func measure(client: HTTPClient, count: Int, into recorder: Recorder) async throws {
        let uploadSize = request.body.length ?? 0
        for _ in 0..<count {
            let begin = ContinuousClock.now
            do {
                let response = try await client.execute(request, timeout: .seconds(600))
                var received = 0
                for try await chunk in response.body { received += chunk.count }
                let latency = ContinuousClock.now - begin, ok = (200..<300).contains(response.status)
                recorder.tally.withLock { $0.record(latency, received: received, sent: uploadSize, ok: ok) }
            } catch {
                let latency = ContinuousClock.now - begin
                recorder.tally.withLock { $0.record(latency, received: 0, sent: 0, ok: false) }
            }
        }
    }

    private static func result(_ tally: Tally, elapsed: Duration) -> Result {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let latencies = tally.latencies, count = tally.latencies.count
        return Result(requests: count, failed: tally.failed, seconds: seconds,
                      requestsPerSecond: Double(count) / seconds, bytesReceived: tally.received, bytesSent: tally.sent,
                      megabytesPerSecond: Double(max(tally.received, tally.sent)) / seconds / 1e6,
                      latencyMs: .init(p50: latencies.percentileMilliseconds(0.5), p99: latencies.percentileMilliseconds(0.99)), peakRSSBytes: peakRSSBytes())
    }

    /// The process's peak resident set (VmHWM), read with plain system calls so that measuring
    /// it brings no library code into memory.
    static func peakRSSBytes() -> Int {
        let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var status: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            status += chunk[..<count]
        }
        let lines = String(decoding: status, as: UTF8.self).split(separator: "\n")
        guard let line = lines.first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }
}

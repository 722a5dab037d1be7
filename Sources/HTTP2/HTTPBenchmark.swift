import FoundationEssentials
import MTLS

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
        let samples = try await withThrowingTaskGroup(of: [Sample].self) { group in
            for (client, count) in zip(clients, Self.shares(requests, connections)) {
                for share in Self.shares(count, streams) {
                    // Workers run on the clients' loop, as h2load runs on one thread: no thread switches.
                    group.addTask(executorPreference: loops.loops[0]) {
                        try await measure(client: client, count: share)
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = ContinuousClock.now - start
        // The loop is left running: connections may still hand it their last work as they are released.
        for client in clients { await client.shutdown() }
        return Self.result(samples, elapsed: elapsed)
    }

    /// One finished request.
    struct Sample: Sendable {
        let latency: Duration
        let received: Int
        let sent: Int
        let ok: Bool
    }

    /// `total` split into `parts` near-equal counts.
    static func shares(_ total: Int, _ parts: Int) -> [Int] {
        (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
    }

    /// Sends `count` requests one after another on `client`, timing each until its body is read.
    private func measure(client: HTTPClient, count: Int) async throws -> [Sample] {
        var samples: [Sample] = []
        samples.reserveCapacity(count)
        let uploadSize = request.body.length ?? 0
        for _ in 0..<count {
            let begin = ContinuousClock.now
            do {
                let response = try await client.execute(request, timeout: .seconds(600))
                var received = 0
                for try await chunk in response.body { received += chunk.count }
                samples.append(Sample(latency: ContinuousClock.now - begin, received: received, sent: uploadSize,
                                      ok: (200..<300).contains(response.status)))
            } catch {
                samples.append(Sample(latency: ContinuousClock.now - begin, received: 0, sent: 0, ok: false))
            }
        }
        return samples
    }

    private static func result(_ samples: [Sample], elapsed: Duration) -> Result {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let received = samples.reduce(0) { $0 + $1.received }
        let sent = samples.reduce(0) { $0 + $1.sent }
        let latencies = samples.map { Double($0.latency.components.seconds) * 1000 + Double($0.latency.components.attoseconds) / 1e15 }
            .sorted()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        return Result(requests: samples.count, failed: samples.filter { !$0.ok }.count, seconds: seconds,
                      requestsPerSecond: Double(samples.count) / seconds, bytesReceived: received, bytesSent: sent,
                      megabytesPerSecond: Double(max(received, sent)) / seconds / 1e6,
                      latencyMs: .init(p50: percentile(0.5), p99: percentile(0.99)), peakRSSBytes: peakRSSBytes())
    }

    /// The process's peak resident set (VmHWM).
    static func peakRSSBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kilobytes * 1024
    }
}

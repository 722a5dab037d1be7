// h2bench: an h2load-style benchmark of this package's HTTP/2 client over mutual TLS.
//
//   swift run -c release h2bench URL -n N -c C -m M [--cert F --key F [--pass P]] [--cacert F]
//                        [--connect-to HOST:PORT:ADDR:PORT] [--upload FILE] [--json]
//
// -n requests in all, -c connections, -m streams in flight per connection (as h2load means them).
// Prints requests/s, MB/s, latency p50/p99, failures and peak RSS; --json prints one object.
import FoundationEssentials
import Glibc
import HTTP2
import MTLS

struct Options {
    var url = ""
    var requests = 1
    var connections = 1
    var streams = 1
    var certificate: String?
    var key: String?
    var passphrase: String?
    var caFile: String?
    var connectTo: [ConnectTo] = []
    var upload: String?
    var json = false

    static let usage = """
        usage: h2bench URL [-n N] [-c C] [-m M] [--cert FILE --key FILE [--pass PASSPHRASE]] [--cacert FILE]
                           [--connect-to HOST:PORT:ADDR:PORT] [--upload FILE] [--json]
        """

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let value = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            return value
        }
        func number(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), number > 0 else { throw UsageError("\(flag) needs a positive number, not \"\(text)\"") }
            return number
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "-n": requests = try number(argument)
            case "-c": connections = try number(argument)
            case "-m": streams = try number(argument)
            case "--cert": certificate = try value(argument)
            case "--key": key = try value(argument)
            case "--pass": passphrase = try value(argument)
            case "--cacert": caFile = try value(argument)
            case "--connect-to": connectTo.append(try ConnectTo(parsing: try value(argument)))
            case "--upload": upload = try value(argument)
            case "--json": json = true
            case "-h", "--help": throw UsageError(nil)
            default:
                guard !argument.hasPrefix("-"), url.isEmpty else { throw UsageError("unknown argument \(argument)") }
                url = argument
            }
        }
        guard !url.isEmpty else { throw UsageError("the URL is missing") }
        guard (certificate == nil) == (key == nil) else { throw UsageError("--cert and --key go together") }
    }
}

struct UsageError: Error {
    let message: String?
    init(_ message: String?) { self.message = message }
}

/// One finished request.
struct Sample: Sendable {
    let latency: Duration
    let received: Int
    let sent: Int
    let ok: Bool
}

func peakRSSBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kilobytes * 1024
}

/// What a run measured; `--json` prints it as one object.
struct Result: Encodable {
    struct Latency: Encodable {
        let p50: Double
        let p99: Double
    }
    let requests: Int
    let failed: Int
    let seconds: Double
    let requestsPerSecond: Double
    let bytesReceived: Int
    let bytesSent: Int
    let megabytesPerSecond: Double
    let latencyMs: Latency
    let peakRSSBytes: Int
}

func run(_ options: Options) async throws -> Result {
    var tls = TLSConfiguration()
    if let caFile = options.caFile { tls.trustRoots = .pemFile(caFile) }
    if let certificate = options.certificate, let key = options.key {
        tls.clientIdentity = try ClientIdentity.pemFiles(certificate: certificate, privateKey: key, passphrase: options.passphrase)
    }
    let body: HTTPRequest.Body = try options.upload.map { try .file($0) } ?? .none
    let request = HTTPRequest(method: options.upload == nil ? "GET" : "POST", url: options.url, body: body)
    let uploadSize = body.length ?? 0
    // One client per connection, each keeping its own HTTP/2 connection to the host, all on one
    // event loop: h2load, too, runs its connections on one thread unless told otherwise.
    let loops = EventLoopGroup(loopCount: 1, name: "h2bench")
    let clients = try (0..<options.connections).map { _ in
        try HTTPClient(configuration: .init(tls: tls, connectTo: options.connectTo, eventLoopGroup: loops))
    }
    for client in clients {   // connect and warm up outside the timed part, as h2load's figures exclude set-up
        for try await _ in try await client.execute(request).body {}
    }
    let perConnection = (0..<options.connections).map { index in
        options.requests / options.connections + (index < options.requests % options.connections ? 1 : 0)
    }
    let start = ContinuousClock.now
    let samples = try await withThrowingTaskGroup(of: [Sample].self) { group in
        for (client, count) in zip(clients, perConnection) {
            for worker in 0..<options.streams {
                let share = count / options.streams + (worker < count % options.streams ? 1 : 0)
                // Workers run on the client's event loop, as h2load runs on one thread: no thread switches.
                group.addTask(executorPreference: loops.loops[0]) {
                    try await measure(client: client, request: request, count: share, uploadSize: uploadSize)
                }
            }
        }
        return try await group.reduce(into: []) { $0 += $1 }
    }
    let elapsed = ContinuousClock.now - start
    for client in clients { await client.shutdown() }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let received = samples.reduce(0) { $0 + $1.received }
    let sent = samples.reduce(0) { $0 + $1.sent }
    let latencies = samples.map { Double($0.latency.components.seconds) * 1000 + Double($0.latency.components.attoseconds) / 1e15 }.sorted()
    func percentile(_ p: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
    return Result(requests: samples.count, failed: samples.filter { !$0.ok }.count, seconds: seconds,
                  requestsPerSecond: Double(samples.count) / seconds, bytesReceived: received, bytesSent: sent,
                  megabytesPerSecond: Double(max(received, sent)) / seconds / 1e6,
                  latencyMs: .init(p50: percentile(0.5), p99: percentile(0.99)), peakRSSBytes: peakRSSBytes())
}

/// Sends `count` requests one after another on `client`, timing each until its body is read.
func measure(client: HTTPClient, request: HTTPRequest, count: Int, uploadSize: Int) async throws -> [Sample] {
    var samples: [Sample] = []
    samples.reserveCapacity(count)
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

/// A number with `places` decimals.
func fixed(_ value: Double, _ places: Int) -> String {
    let scale = (0..<places).reduce(1.0) { value, _ in value * 10 }
    let rounded = (value * scale).rounded() / scale
    return places == 0 ? String(Int(rounded)) : String(rounded)
}

func printError(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let result = try await run(options)
    if options.json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    } else {
        print("requests: \(result.requests), failed: \(result.failed), \(fixed(result.seconds, 3)) s")
        print("\(fixed(result.requestsPerSecond, 0)) req/s, \(fixed(result.megabytesPerSecond, 1)) MB/s, "
              + "latency p50 \(fixed(result.latencyMs.p50, 3)) ms p99 \(fixed(result.latencyMs.p99, 3)) ms, "
              + "peak RSS \(fixed(Double(result.peakRSSBytes) / 1e6, 1)) MB")
    }
} catch let error as UsageError {
    if let message = error.message { printError("h2bench: \(message)") }
    printError(Options.usage)
    exit(2)
} catch {
    printError("h2bench: \(error)")
    exit(1)
}

import MTLS
import FoundationEssentials
import HTTP2

/// A misbehaviour the emulator acts out for a request, so clients can test their retries.
public enum EmulatorFault: Sendable, Hashable {
    /// Answer after this long.
    case delay(Duration)
    /// Answer with this status (429, 503, ...) and Google's error envelope, with a RetryInfo
    /// detail when `retryDelay` is set.
    case status(Int, retryDelay: Duration?)
    /// Answer, then send GOAWAY and close the connection.
    case goAway
    /// Close the connection without answering.
    case drop
    /// Refuse the stream (REFUSED_STREAM): safe for any client to retry.
    case refuse

    /// Parses the `x-emulator-fault` header: comma-separated `delay=250ms`, `status=503`,
    /// `retry-delay=2s`, `goaway`, `drop`, `refuse`. Unknown items are ignored.
    static func parse(header: String) -> [EmulatorFault] {
        var faults: [EmulatorFault] = []
        var retryDelay: Duration?
        var status: Int?
        for item in header.split(separator: ",").map({ $0.filter { !$0.isWhitespace }.lowercased() }) {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            switch (parts.first, parts.count > 1 ? parts[1] : nil) {
            case ("delay", let value?): if let delay = duration(value) { faults.append(.delay(delay)) }
            case ("status", let value?): status = Int(value)
            case ("retry-delay", let value?): retryDelay = duration(value)
            case ("goaway", nil): faults.append(.goAway)
            case ("drop", nil): faults.append(.drop)
            case ("refuse", nil): faults.append(.refuse)
            default: continue
            }
        }
        if let status { faults.append(.status(status, retryDelay: retryDelay)) }
        return faults
    }

    /// `250ms`, `2s`.
    private static func duration(_ text: String) -> Duration? {
        if text.hasSuffix("ms"), let value = Int(text.dropLast(2)) { return .milliseconds(value) }
        if text.hasSuffix("s"), let value = Double(text.dropLast()), value.isFinite, (0...86_400).contains(value) {
            return .milliseconds(Int(value * 1000))
        }
        return nil
    }
}

/// A fault applied to every `every`-th request whose path starts with `pathPrefix` (all when nil).
public struct EmulatorFaultRule: Sendable {
    /// Which requests it applies to.
    public var pathPrefix: String?
    /// Every how many matching requests (1: each one).
    public var every: Int
    /// What to do.
    public var fault: EmulatorFault

    /// A rule acting on every `every`-th matching request.
    public init(pathPrefix: String? = nil, every: Int, fault: EmulatorFault) {
        self.pathPrefix = pathPrefix
        self.every = max(1, every)
        self.fault = fault
    }
}

/// The faults for each request: from its header, and from the configured rules (counted per rule).
final class FaultInjector: Sendable {
    private let rules: [EmulatorFaultRule]
    private let counts: Locked<[Int]>

    init(rules: [EmulatorFaultRule]) {
        self.rules = rules
        counts = Locked(Array(repeating: 0, count: rules.count))
    }

    func faults(for request: HTTPServerRequest) -> [EmulatorFault] {
        var faults = request.headers.first(name: "x-emulator-fault").map(EmulatorFault.parse) ?? []
        counts.withLock { counts in
            for (index, rule) in rules.enumerated() where rule.pathPrefix.map(request.path.hasPrefix) ?? true {
                counts[index] += 1
                if counts[index] % rule.every == 0 { faults.append(rule.fault) }
            }
        }
        return faults
    }
}

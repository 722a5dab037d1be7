import CLinux
import Glibc

/// Connection racing as RFC 8305 (Happy Eyeballs v2) describes it: addresses ordered IPv6 first
/// and then alternating families; a new attempt starts every `stagger` (250 ms) while earlier
/// ones are still pending, or at once when one fails; the first to connect wins and the others
/// are closed. A blackholed address therefore costs one stagger, not the whole timeout.
final class HappyEyeballs: @unchecked Sendable {
    // Sendable: every stored property is touched only on `loop`'s thread; `connect` hops there
    // before anything else, and the timers and socket callbacks run there.

    /// The stagger RFC 8305 recommends.
    static let stagger: Duration = .milliseconds(250)

    private let loop: EventLoop
    private let addresses: [SocketAddress]
    private let stagger: Duration
    private var continuation: CheckedContinuation<(Int32, SocketAddress), any Error>?
    private var next = 0
    private var pending: [Int32: SocketAddress] = [:]
    private var failures: [String] = []
    private var refusedOnly = true
    private var timers: [EventLoop.TimerID] = []
    private let name: String

    private init(loop: EventLoop, addresses: [SocketAddress], stagger: Duration, name: String) {
        self.loop = loop
        self.addresses = HappyEyeballs.interleave(addresses)
        self.stagger = stagger
        self.name = name
    }

    /// IPv6 first, then alternating families (RFC 8305 section 4), each family in resolver order.
    static func interleave(_ addresses: [SocketAddress]) -> [SocketAddress] {
        let v6 = addresses.filter { $0.family == AF_INET6 }, v4 = addresses.filter { $0.family != AF_INET6 }
        var ordered: [SocketAddress] = []
        for index in 0..<max(v6.count, v4.count) {
            if index < v6.count { ordered.append(v6[index]) }
            if index < v4.count { ordered.append(v4[index]) }
        }
        return ordered
    }

    /// Races connects to `addresses` on `loop` until `deadline`; returns the connected,
    /// non-blocking descriptor (not registered with the loop) and its address.
    static func connect(_ addresses: [SocketAddress], name: String, stagger: Duration = HappyEyeballs.stagger,
                        deadline: ContinuousClock.Instant, on loop: EventLoop) async throws -> (fd: Int32, address: SocketAddress) {
        let race = HappyEyeballs(loop: loop, addresses: addresses, stagger: stagger, name: name)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                loop.execute { race.start(continuation, deadline: deadline) }
            }
        } onCancel: {
            loop.execute { race.finish(.failure(CancellationError())) }
        }
    }

    private func start(_ continuation: CheckedContinuation<(Int32, SocketAddress), any Error>, deadline: ContinuousClock.Instant) {
        self.continuation = continuation
        timers.append(loop.schedule(after: ContinuousClock.now.duration(to: deadline)) { [self] in
            refusedOnly = false
            failures += pending.values.map { "\($0): timed out" }
            finish(.failure(failure()))
        })
        launchNext()
    }

    /// Starts the next attempt, and schedules the one after it a stagger later.
    private func launchNext() {
        guard continuation != nil else { return }
        guard next < addresses.count else {
            if pending.isEmpty { finish(.failure(failure())) }
            return
        }
        let address = addresses[next]
        next += 1
        let attempt = TCPSocket.startConnect(to: address)
        if attempt.fd < 0 { return record(address, attempt.error) }
        if attempt.done { return finish(.success((attempt.fd, address))) }
        pending[attempt.fd] = address
        loop.register(attempt.fd, for: [.writable, .once]) { [self] _ in completed(attempt.fd) }
        timers.append(loop.schedule(after: stagger) { [self] in launchNext() })
    }

    private func completed(_ fd: Int32) {
        guard let address = pending.removeValue(forKey: fd) else { return }
        loop.deregister(fd)
        let code = TCPSocket.connectResult(fd)
        if code == 0 { return finish(.success((fd, address))) }
        close(fd)
        record(address, code)
    }

    /// An attempt failed: note why and start the next one now rather than after the stagger.
    private func record(_ address: SocketAddress, _ code: Int32) {
        refusedOnly = refusedOnly && code == ECONNREFUSED
        failures.append("\(address): \(String(cString: strerror(code)))")
        launchNext()
    }

    private func failure() -> TLSError {
        TLSError(refusedOnly && !failures.isEmpty ? .connectionRefused : .connectTimeout,
                 "cannot connect to \(name): " + (failures.isEmpty ? "no address" : failures.joined(separator: "; ")))
    }

    /// Ends the race once: the winner is handed over, every other attempt closed.
    private func finish(_ result: Result<(Int32, SocketAddress), any Error>) {
        guard let continuation else {
            if case .success((let fd, _)) = result { close(fd) }   // a late winner after the end
            return
        }
        self.continuation = nil
        for timer in timers { loop.cancel(timer) }
        for fd in pending.keys { loop.deregister(fd); close(fd) }
        pending.removeAll()
        continuation.resume(with: result)
    }
}

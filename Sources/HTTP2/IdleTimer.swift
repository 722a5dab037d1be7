import MTLS

/// Calls `onExpiry` once a connection has had nothing to do for `timeout`.
///
/// The connection says when it becomes idle and when busy again; one loop timer serves many
/// idle periods: it is not re-armed for every request, and when it goes off before the current
/// idle period is `timeout` long, it waits for the rest. Used on the connection's loop only.
final class IdleTimer {
    let timeout: Duration
    private let loop: EventLoop
    /// Set by the connection once it can be called (it closes itself in there).
    var onExpiry: (() -> Void)?
    /// When the current idle period began; nil while busy.
    private var idleSince: ContinuousClock.Instant?
    private var armed = false

    init(timeout: Duration, loop: EventLoop) {
        self.timeout = timeout
        self.loop = loop
    }

    /// The connection has nothing to do from now on.
    func becameIdle() {
        idleSince = .now
        if !armed { arm(after: timeout) }
    }

    /// The connection has work again (or closed): no expiry until it is idle again.
    func becameBusy() {
        idleSince = nil
    }

    private func arm(after delay: Duration) {
        armed = true
        loop.schedule(after: delay) { [weak self] in self?.fired() }
    }

    private func fired() {
        armed = false
        guard let idleSince else { return }
        let idle = idleSince.duration(to: .now)
        if idle >= timeout { onExpiry?() } else { arm(after: timeout - idle) }
    }
}

import Glibc

/// A value behind a pthread mutex: what `Synchronization.Mutex` offers, with a lock that
/// ThreadSanitizer sees (it intercepts pthread mutexes; the futex inside the toolchain's
/// uninstrumented `Mutex` makes every access under it look like a race). Used for all shared state.
package final class Locked<Value>: @unchecked Sendable {
    // Sendable: `value` is only touched inside `withLock`, under `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

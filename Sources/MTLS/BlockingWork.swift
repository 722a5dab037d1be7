import Dispatch

/// Runs blocking work (name resolution, a helper process, key generation, a blocking socket) on a
/// thread of its own, so neither the task pool nor the event loops wait for it.
///
/// Each call gets a new serial queue: those are served by threads Dispatch adds on demand
/// ("overcommit"), whereas the global queue's few threads would let one slow job hold up the next.
package enum BlockingWork {
    package static func run<Result: Sendable>(_ label: String,
                                              _ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue(label: label).async { continuation.resume(with: Swift.Result { try body() }) }
        }
    }

    /// Starts `body` on a thread of its own without waiting for it.
    package static func start(_ label: String, _ body: @escaping @Sendable () -> Void) {
        DispatchQueue(label: label).async(execute: body)
    }
}

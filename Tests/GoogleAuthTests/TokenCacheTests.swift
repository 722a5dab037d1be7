import Foundation
@testable import GoogleAuth
import Synchronization
import Testing

/// The token cache: one refresh for many callers, failures to all of them, then a fresh try.
@Suite("Token cache")
struct TokenCacheTests {
    final class Counter: Sendable {
        let calls = Atomic<Int>(0)
        func next() -> Int { calls.add(1, ordering: .sequentiallyConsistent).newValue }
    }

    @Test("a failed refresh reaches every waiting caller, and the next call tries again")
    func failureReachesAllThenRetries() async throws {
        let counter = Counter()
        let cache = TokenCache {
            let call = counter.next()
            try await Task.sleep(for: .milliseconds(200))
            if call == 1 { throw GoogleAuthError(.tokenRefused, "refused once") }
            return AccessToken(value: "t\(call)", expiry: Date() + 3600)
        }
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 { group.addTask { (try? await cache.get()) == nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 10)
        #expect(try await cache.get().value == "t2")
        #expect(counter.calls.load(ordering: .sequentiallyConsistent) == 2)
    }

    @Test("a caller that is cancelled does not cancel the refresh others wait for")
    func cancelledCallerLeavesRefresh() async throws {
        let counter = Counter()
        let cache = TokenCache {
            _ = counter.next()
            try await Task.sleep(for: .milliseconds(300))
            return AccessToken(value: "shared", expiry: Date() + 3600)
        }
        let impatient = Task { try await cache.get() }
        try await Task.sleep(for: .milliseconds(50))
        impatient.cancel()
        #expect(try await cache.get().value == "shared")
        #expect(counter.calls.load(ordering: .sequentiallyConsistent) == 1)
    }

    @Test("tokens are refreshed 225 s before expiry, or at half the lifetime of short ones", arguments: [
        (3600.0, 3300.0, false), (3600.0, 3400.0, true), (10.0, 4.0, false), (10.0, 6.0, true),
    ])
    func refreshMargin(_ lifetime: Double, _ age: Double, _ refresh: Bool) {
        let obtained = Date()
        let token = AccessToken(value: "t", expiry: obtained + lifetime, obtained: obtained)
        #expect(token.needsRefresh(at: obtained + age) == refresh)
    }

    @Test("invalidate forces the next call to fetch")
    func invalidateForcesFetch() async throws {
        let counter = Counter()
        let cache = TokenCache { AccessToken(value: "t\(counter.next())", expiry: Date() + 3600) }
        #expect(try await cache.get().value == "t1")
        #expect(try await cache.get().value == "t1")
        await cache.invalidate()
        #expect(try await cache.get().value == "t2")
    }
}

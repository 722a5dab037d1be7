import FoundationEssentials

/// An OAuth 2 access token and when it stops being valid.
///
/// `description` never shows the token itself; use `value` only to build the `Authorization` header.
public struct AccessToken: Sendable, CustomStringConvertible {
    /// The bearer token.
    public let value: String
    /// When it expires (nil: unknown, treated as "refresh after an hour").
    public let expiry: Date?
    /// When it was obtained.
    public let obtained: Date

    /// A token that expires at `expiry`.
    public init(value: String, expiry: Date?, obtained: Date = Date()) {
        self.value = value
        self.expiry = expiry
        self.obtained = obtained
    }

    /// The `Authorization` header value.
    public var authorizationHeader: String { "Bearer \(value)" }

    public var description: String {
        "AccessToken(expiry: \(expiry.map { "\($0)" } ?? "unknown"), value: <redacted>)"
    }

    /// Whether the token is close enough to expiry to refresh: within 225 s (as Google's Go library
    /// does), or within half its lifetime for short-lived tokens.
    func needsRefresh(at now: Date = Date()) -> Bool {
        let expiry = expiry ?? obtained.addingTimeInterval(3600)
        let margin = min(225, expiry.timeIntervalSince(obtained) / 2)
        return now >= expiry.addingTimeInterval(-margin)
    }
}

/// Reuses a token until shortly before it expires; when it must be refreshed, one task fetches
/// while every concurrent caller waits for that same fetch (no thundering herd). A failed fetch
/// reaches every waiter, and the next call tries again.
actor TokenCache {
    private let fetch: @Sendable () async throws -> AccessToken
    private var token: AccessToken?
    private var refresh: Task<AccessToken, any Error>?

    init(fetch: @escaping @Sendable () async throws -> AccessToken) {
        self.fetch = fetch
    }

    /// A valid token, from the cache or from the one refresh in flight.
    func get() async throws -> AccessToken {
        if let token, !token.needsRefresh() { return token }
        let task = refresh ?? Task { try await fetch() }
        refresh = task
        do {
            let fresh = try await task.value
            if refresh == task { refresh = nil; token = fresh }
            return fresh
        } catch {
            if refresh == task { refresh = nil }
            throw error
        }
    }

    /// Forgets the cached token (after the API answered 401 with it).
    func invalidate() { token = nil }
}

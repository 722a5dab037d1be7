/// When a failed call is sent again: for idempotent calls (and any call the server certainly did
/// not process), on 429, 500, 502, 503 and 504, with exponential backoff and full jitter, waiting
/// at least what the server's RetryInfo asks, and never past the call's deadline.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// The first backoff.
    public var initialBackoff: Duration
    /// The longest backoff.
    public var maxBackoff: Duration
    /// How much each backoff grows.
    public var multiplier: Double
    /// HTTP statuses retried.
    public var retryableStatuses: Set<Int>

    /// Google's libraries' defaults: 1 s first, ×2, at most 32 s, up to 5 attempts.
    public static let standard = RetryPolicy(maxAttempts: 5, initialBackoff: .seconds(1), maxBackoff: .seconds(32),
                                             multiplier: 2, retryableStatuses: [429, 500, 502, 503, 504])

    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1, initialBackoff: .zero, maxBackoff: .zero, multiplier: 1,
                                         retryableStatuses: [])

    /// A policy with these limits.
    public init(maxAttempts: Int, initialBackoff: Duration, maxBackoff: Duration, multiplier: Double,
                retryableStatuses: Set<Int>) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
        self.retryableStatuses = retryableStatuses
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1): a random share of the
    /// exponential backoff, but at least `serverDelay` (RetryInfo).
    func backoff(after attempt: Int, serverDelay: Duration?) -> Duration {
        let ceiling = min(maxBackoff, initialBackoff * pow(multiplier, attempt - 1))
        let jittered = ceiling * Double.random(in: 0...1)
        return max(jittered, serverDelay ?? .zero)
    }

    private func pow(_ base: Double, _ exponent: Int) -> Double {
        (0..<max(0, exponent)).reduce(1.0) { value, _ in value * base }
    }
}

/// Latencies counted in buckets less than 1 % wide (HdrHistogram's idea with 7 bits of precision):
/// a fixed 30 KB however many requests a benchmark measures, where keeping every latency for
/// sorting would cost 8 bytes a request.
///
/// Durations below 128 ns get a bucket each; above, a power of two is split into 128 buckets. A
/// percentile is the middle of its bucket, so it is within 0.4 % of the exact value.
struct LatencyHistogram: Sendable {
    private static let precisionBits = 7
    private static let subBuckets = 1 << precisionBits
    private var counts = [UInt32](repeating: 0, count: (64 - precisionBits + 1) * subBuckets)
    /// Latencies recorded.
    private(set) var count = 0

    /// Counts one latency; negative ones count as zero.
    mutating func record(_ latency: Duration) {
        let (seconds, attoseconds) = latency.components
        let nanoseconds = seconds < 0 ? 0 : UInt64(seconds) &* 1_000_000_000 &+ UInt64(max(0, attoseconds) / 1_000_000_000)
        counts[Self.bucket(nanoseconds)] += 1
        count += 1
    }

    /// The latency below which the fraction `p` (0...1) of those recorded fall, in milliseconds; 0 when none were.
    func percentileMilliseconds(_ p: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = min(count - 1, Int(Double(count) * p))
        var seen = 0
        for (bucket, bucketCount) in counts.enumerated() where bucketCount > 0 {
            seen += Int(bucketCount)
            if seen > rank { return Self.middle(of: bucket) / 1e6 }
        }
        return 0
    }

    /// The bucket of a latency in nanoseconds.
    static func bucket(_ nanoseconds: UInt64) -> Int {
        guard nanoseconds >= UInt64(subBuckets) else { return Int(nanoseconds) }
        let exponent = 63 - nanoseconds.leadingZeroBitCount            // the leading bit, at least precisionBits
        let mantissa = Int(truncatingIfNeeded: nanoseconds >> (exponent - precisionBits)) & (subBuckets - 1)
        return (exponent - precisionBits + 1) * subBuckets + mantissa
    }

    /// The middle of a bucket, in nanoseconds.
    static func middle(of bucket: Int) -> Double {
        guard bucket >= subBuckets else { return Double(bucket) }
        let exponent = bucket / subBuckets + precisionBits - 1, mantissa = bucket % subBuckets
        let width = Double(1 << (exponent - precisionBits))
        return Double(subBuckets + mantissa) * width + width / 2
    }
}

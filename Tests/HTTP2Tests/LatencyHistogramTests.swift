@testable import HTTP2
import Testing

@Suite("Benchmark latency histogram")
struct LatencyHistogramTests {
    @Test("every latency, from a nanosecond to hours, lands in a bucket whose middle is within 0.4 % of it")
    func bucketsAreNarrow() {
        var generator = SystemRandomNumberGenerator()
        let samples: [UInt64] = Array(0..<300) + (0..<20_000).map { _ in
            UInt64.random(in: 1...(1 << UInt64.random(in: 8...43, using: &generator)), using: &generator)
        } + [UInt64.max]
        for nanoseconds in samples {
            let middle = LatencyHistogram.middle(of: LatencyHistogram.bucket(nanoseconds))
            #expect(abs(middle - Double(nanoseconds)) <= max(0.5, Double(nanoseconds) * 0.004), "\(nanoseconds) ns")
        }
    }

    @Test("p50 and p99 match the exact percentiles of the latencies recorded, within 0.4 %")
    func percentilesMatchSorting() {
        let microseconds = (0..<50_000).map { ($0 * 7919) % 50_000 + 1 }   // 1 µs ... 50 ms, shuffled
        var histogram = LatencyHistogram()
        for value in microseconds { histogram.record(.microseconds(value)) }
        let sorted = microseconds.sorted()
        #expect(histogram.count == microseconds.count)
        for p in [0.5, 0.99] {
            let exact = Double(sorted[Int(Double(sorted.count) * p)]) / 1000
            #expect(abs(histogram.percentileMilliseconds(p) - exact) <= exact * 0.004, "p\(Int(p * 100))")
        }
        #expect(LatencyHistogram().percentileMilliseconds(0.5) == 0)
    }
}

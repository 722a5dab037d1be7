@testable import GoogleAPICore
import Testing

/// The REST error envelope: whatever a server puts in it decodes to an error, never a crash. The
/// huge-delay case crashed the client (a Double too large for Int) until the fuzzer found it.
@Suite("Google API error envelope")
struct GoogleAPIErrorTests {
    static func envelope(retryDelay: String) -> [UInt8] {
        Array(#"{"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "\#(retryDelay)"}]}}"#.utf8)
    }

    @Test("a RetryInfo delay outside a protobuf Duration's range is ignored", arguments: [
        "1222222222222222222222222222222222.5s", "1e300s", "-1s", "nans", "infs", "s", "1.5",
    ])
    func outOfRangeRetryDelayIsIgnored(delay: String) {
        let error = GoogleAPIError.decode(status: 429, body: Self.envelope(retryDelay: delay))
        #expect(error.code == "RESOURCE_EXHAUSTED")
        #expect(error.retryDelay == nil)
    }

    @Test("a RetryInfo delay in range is read to the millisecond", arguments: [("1.5s", 1500), ("0s", 0), ("30s", 30_000)])
    func retryDelayIsRead(delay: String, milliseconds: Int) {
        #expect(GoogleAPIError.decode(status: 429, body: Self.envelope(retryDelay: delay)).retryDelay == .milliseconds(milliseconds))
    }

    @Test("a body that is not an envelope becomes the message, cut to 500 bytes, with the canonical code")
    func bodyThatIsNotAnEnvelope() {
        let error = GoogleAPIError.decode(status: 502, body: Array(String(repeating: "x", count: 2000).utf8))
        #expect(error.code == "INTERNAL")
        #expect(error.message.utf8.count == 500)
    }
}

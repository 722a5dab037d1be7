import Foundation
import GoogleAPICore
import GoogleStorage
import Testing

/// The JSON value types of generated models survive a read-modify-write unchanged. The timestamp
/// case was found by the storage-models fuzz target: a `Date` re-formatted a millisecond early.
@Suite("Google JSON types")
struct GoogleJSONTests {
    @Test("a timestamp is sent back exactly as it was read", arguments: [
        "2036-12-04T22:54:58.123Z", "2026-12-04T22:54:58.123456789Z", "2026-12-04T22:54:58Z", "2026-12-04T23:54:58.5+01:00",
    ])
    func timestampRoundTripsVerbatim(text: String) throws {
        let object = try JSONDecoder().decode(GoogleStorage.Object.self, from: Data(#"{"timeCreated": "\#(text)"}"#.utf8))
        let again = try JSONDecoder().decode(GoogleStorage.Object.self, from: JSONEncoder().encode(object))
        #expect(again == object)
        #expect(again.timeCreated?.rfc3339 == text)
    }

    @Test("a timestamp made from a Date is RFC 3339 in UTC with milliseconds and reads back as that instant")
    func timestampFromDate() throws {
        let timestamp = GoogleTimestamp(Date(timeIntervalSince1970: 1_796_424_898.25))
        #expect(timestamp.rfc3339 == "2026-12-04T22:54:58.250Z")
        let read = try JSONDecoder().decode(GoogleTimestamp.self, from: JSONEncoder().encode(timestamp))
        #expect(read.date == timestamp.date)
    }

    @Test("text that is not RFC 3339 does not decode as a timestamp")
    func malformedTimestampIsRefused() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(GoogleTimestamp.self, from: Data(#""yesterday""#.utf8))
        }
    }
}

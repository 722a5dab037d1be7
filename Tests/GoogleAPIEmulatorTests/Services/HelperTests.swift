import FoundationEssentials
import Testing

@testable import GoogleAPIEmulator

@Suite struct HelperTests {
    @Test func rfc3339WritesUTCWithChosenPrecision() {
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: 1_800_000_000.5)) == "2027-01-15T08:00:00.500Z")
        #expect(
            RFC3339.string(from: Date(timeIntervalSince1970: 951_782_400.25), fractionDigits: 6)
                == "2000-02-29T00:00:00.250000Z")
        #expect(RFC3339.string(from: Date(timeIntervalSince1970: -1), fractionDigits: 0) == "1969-12-31T23:59:59Z")
    }

    @Test func rangeHeaderResolvesAgainstSize() {
        #expect(RangeHeader("bytes=2-5", size: 10) == .partial(2...5))
        #expect(RangeHeader("bytes=7-", size: 10) == .partial(7...9))
        #expect(RangeHeader("bytes=-3", size: 10) == .partial(7...9))
        #expect(RangeHeader("bytes=-30", size: 10) == .partial(0...9))
        #expect(RangeHeader("bytes=5-100", size: 10) == .partial(5...9))
        #expect(RangeHeader("bytes=10-", size: 10) == .unsatisfiable)
        #expect(RangeHeader("bytes=-0", size: 10) == .unsatisfiable)
        #expect(RangeHeader("bytes=0-1,4-5", size: 10) == .whole)
        #expect(RangeHeader("items=0-1", size: 10) == .whole)
        #expect(RangeHeader(nil, size: 10) == .whole)
    }

    @Test func uploadContentRangeReadsTheFourForms() {
        #expect(UploadContentRange("bytes 0-9/*") == UploadContentRange(range: 0...9, total: nil))
        #expect(UploadContentRange("bytes 10-19/20") == UploadContentRange(range: 10...19, total: 20))
        #expect(UploadContentRange("bytes */20") == UploadContentRange(range: nil, total: 20))
        #expect(UploadContentRange("bytes */*") == UploadContentRange(range: nil, total: nil))
        #expect(UploadContentRange("bytes 9-0/*") == nil)
        #expect(UploadContentRange("0-9/10") == nil)
    }

    @Test func multipartRelatedSplitsHeadersAndBodies() throws {
        let body = "--XYZ\r\nContent-Type: application/json\r\n\r\n{\"name\":\"a\"}\r\n--XYZ\r\n"
            + "Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n--XYZ--\r\n"
        #expect(MultipartRelated.boundary(contentType: "multipart/related; boundary=\"XYZ\"") == "XYZ")
        let parts = try #require(MultipartRelated.parse(bytes(body), boundary: "XYZ"))
        #expect(parts.count == 2)
        #expect(parts[0].headers["content-type"] == "application/json")
        #expect(parts[0].body == bytes("{\"name\":\"a\"}"))
        #expect(parts[1].body == bytes("line1\r\nline2"))
        #expect(MultipartRelated.parse(bytes("--XYZ\r\n\r\nunterminated"), boundary: "XYZ") == nil)
    }

    @Test func pageTokensWalkTheWholeList() throws {
        let first = try #require(Page(of: [1, 2, 3], size: 2, token: nil, defaultSize: 10, maxSize: 10))
        #expect(first.items == [1, 2])
        let second = try #require(Page(of: [1, 2, 3], size: 2, token: first.nextPageToken, defaultSize: 10, maxSize: 10))
        #expect(second.items == [3])
        #expect(second.nextPageToken == nil)
        #expect(Page(of: [1], size: 1, token: "bogus", defaultSize: 10, maxSize: 10) == nil)
    }

    @Test func pagingReadsItsSizeParameterAndThrowsItsTokenError() throws {
        let paging = Paging(
            sizeParameter: "maxResults", defaultSize: 10, maxSize: 10,
            invalidToken: .invalidArgument("Bad token.", reason: "invalid"))
        let sized = APIRequest(method: "GET", path: "/", query: ["maxResults": ["2"], "pageSize": ["1"]])
        #expect(try paging.page([1, 2, 3], sized).items == [1, 2])
        let bogus = APIRequest(method: "GET", path: "/", query: ["pageToken": ["bogus"]])
        let error = try #require(throws: ServiceError.self) { try paging.page([1], bogus) }
        expectError(error.response, 400, "INVALID_ARGUMENT", reason: "invalid", message: "Bad token.")
        #expect([Int]().nonEmpty == nil)
        #expect([1].nonEmpty == [1])
    }

    @Test func listedKeepsOneCollectionOfOneProjectSortedByName() {
        let topics = ["projects/p/topics/b", "projects/q/topics/a", "projects/p/topics/a", "projects/p/other/c"]
            .map { PubSubTopic(name: $0) } + [PubSubTopic()]
        #expect(topics.listed(in: "p", "topics").map(\.name) == ["projects/p/topics/a", "projects/p/topics/b"])
    }

    @Test func pathEncodingRoundTrips() {
        #expect(PathEncoding.decode("a%2Fb%20c.txt") == "a/b c.txt")
        #expect(PathEncoding.encode("a/b c.txt") == "a%2Fb%20c.txt")
        #expect(PathEncoding.decode("bad%2") == nil)
    }
}

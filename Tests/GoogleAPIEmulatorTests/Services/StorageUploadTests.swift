import Testing

@testable import GoogleAPIEmulator

/// Media, multipart and resumable uploads.
@Suite struct StorageUploadTests {
    let storage = StorageService(clock: ManualClock().now)
    let uploadPath = "/upload/storage/v1/b/uploads/o"

    init() async throws {
        _ = try await send(storage, "POST", "/storage/v1/b", query: ["project": "p"], json: #"{"name":"uploads"}"#)
    }

    private func startResumable(_ metadata: String = #"{"name":"big.bin","contentType":"application/x-test"}"#)
        async throws -> String
    {
        let response = try await send(
            storage, "POST", uploadPath, query: ["uploadType": "resumable"],
            headers: ["host": "storage.mtls.googleapis.com", "content-type": "application/json"], json: metadata)
        #expect(response.status == 200)
        let location = try #require(response.header("location"))
        #expect(location.hasPrefix("https://storage.mtls.googleapis.com\(uploadPath)?uploadType=resumable&upload_id="))
        return String(try #require(location.split(separator: "upload_id=").last))
    }

    private func putChunk(_ id: String, _ contentRange: String, _ data: String) async throws -> APIResponse {
        try await send(
            storage, "PUT", uploadPath, query: ["uploadType": "resumable", "upload_id": id],
            headers: ["content-range": contentRange], body: bytes(data))
    }

    @Test func mediaUploadTakesTheContentTypeHeader() async throws {
        let response = try await send(
            storage, "POST", uploadPath, query: ["uploadType": "media", "name": "x.json"],
            headers: ["Content-Type": "application/json"], body: bytes("{}"))
        #expect(response.status == 200)
        #expect(response.json["contentType"].string == "application/json")
        #expect(response.json["size"].string == "2")
    }

    @Test func mediaUploadWithoutANameIsRejected() async throws {
        let response = try await send(storage, "POST", uploadPath, query: ["uploadType": "media"], body: bytes("x"))
        expectError(response, 400, "INVALID_ARGUMENT", reason: "required")
    }

    @Test func uploadToAMissingBucketIsNotFound() async throws {
        let response = try await send(
            storage, "POST", "/upload/storage/v1/b/nope/o", query: ["uploadType": "media", "name": "a"], body: bytes("x"))
        expectError(response, 404, "NOT_FOUND")
    }

    @Test func multipartUploadTakesMetadataFromTheFirstPart() async throws {
        let body = "--b0undary\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
            + #"{"name":"notes/today.md","metadata":{"owner":"me"},"cacheControl":"no-cache"}"#
            + "\r\n--b0undary\r\nContent-Type: text/markdown\r\n\r\n# Today\r\n\r\n--b0undary--\r\n"
        let response = try await send(
            storage, "POST", uploadPath, query: ["uploadType": "multipart"],
            headers: ["content-type": "multipart/related; boundary=b0undary"], body: bytes(body))
        #expect(response.status == 200)
        #expect(response.json["name"].string == "notes/today.md")
        #expect(response.json["contentType"].string == "text/markdown")
        #expect(response.json["metadata"]["owner"].string == "me")
        #expect(response.json["cacheControl"].string == "no-cache")
        let media = try await send(storage, "GET", "/storage/v1/b/uploads/o/notes%2Ftoday.md", query: ["alt": "media"])
        #expect(media.text == "# Today\r\n")
        #expect(media.header("cache-control") == "no-cache")
    }

    @Test func multipartUploadWithAWrongCRC32CIsRejected() async throws {
        let body = "--B\r\nContent-Type: application/json\r\n\r\n" + #"{"name":"x","crc32c":"AAAAAA=="}"#
            + "\r\n--B\r\nContent-Type: text/plain\r\n\r\n\(quickFox)\r\n--B--"
        let response = try await send(
            storage, "POST", uploadPath, query: ["uploadType": "multipart"],
            headers: ["content-type": "multipart/related; boundary=B"], body: bytes(body))
        expectError(response, 400, "INVALID_ARGUMENT", reason: "invalid")
        expectError(try await send(storage, "GET", "/storage/v1/b/uploads/o/x"), 404, "NOT_FOUND")
    }

    @Test func resumableUploadAcceptsChunksUntilTheTotal() async throws {
        let id = try await startResumable()
        let first = try await putChunk(id, "bytes 0-9/*", "0123456789")
        #expect(first.status == 308)
        #expect(first.header("range") == "bytes=0-9")
        let last = try await putChunk(id, "bytes 10-14/15", "abcde")
        #expect(last.status == 200)
        #expect(last.json["name"].string == "big.bin")
        #expect(last.json["size"].string == "15")
        #expect(last.json["contentType"].string == "application/x-test")
        let media = try await send(storage, "GET", "/storage/v1/b/uploads/o/big.bin", query: ["alt": "media"])
        #expect(media.text == "0123456789abcde")
    }

    @Test func resumeQueryReportsWhatIsStoredAfterAnInterruptedChunk() async throws {
        let id = try await startResumable()
        let nothingYet = try await putChunk(id, "bytes */*", "")
        #expect(nothingYet.status == 308)
        #expect(nothingYet.header("range") == nil)
        _ = try await putChunk(id, "bytes 0-3/*", "abcd")
        // The next chunk's connection dropped; the client asks where to resume.
        let query = try await putChunk(id, "bytes */*", "")
        #expect(query.status == 308)
        #expect(query.header("range") == "bytes=0-3")
        let resumed = try await putChunk(id, "bytes 4-5/6", "ef")
        #expect(resumed.status == 200)
        let done = try await putChunk(id, "bytes */6", "")
        #expect(done.status == 200)
        #expect(done.json["size"].string == "6")
    }

    @Test func nonContiguousChunkIsRejectedAndChangesNothing() async throws {
        let id = try await startResumable()
        _ = try await putChunk(id, "bytes 0-3/*", "abcd")
        expectError(try await putChunk(id, "bytes 6-7/*", "gh"), 400, "INVALID_ARGUMENT", reason: "invalid")
        expectError(try await putChunk(id, "bytes 2-5/*", "cdef"), 400, "INVALID_ARGUMENT")
        expectError(try await putChunk(id, "bytes 4-9/*", "ef"), 400, "INVALID_ARGUMENT")
        let query = try await putChunk(id, "bytes */*", "")
        #expect(query.header("range") == "bytes=0-3")
    }

    @Test func unknownUploadIDIsNotFound() async throws {
        expectError(try await putChunk("no-such-session", "bytes 0-0/1", "x"), 404, "NOT_FOUND", reason: "notFound")
    }

    @Test func resumableUploadOfAnEmptyObjectCompletesWithTheTotal() async throws {
        let id = try await startResumable(#"{"name":"empty"}"#)
        let response = try await putChunk(id, "bytes */0", "")
        #expect(response.status == 200)
        #expect(response.json["size"].string == "0")
        #expect(response.json["crc32c"].string == "AAAAAA==")
        #expect(response.json["md5Hash"].string == "1B2M2Y8AsgTpgAmY7PhCfg==")
    }

    @Test func resumableUploadTakesTheNameFromTheQuery() async throws {
        let response = try await send(
            storage, "POST", uploadPath, query: ["uploadType": "resumable", "name": "from-query"],
            headers: ["host": "localhost", "x-upload-content-type": "image/png"])
        let location = try #require(response.header("location"))
        let id = String(try #require(location.split(separator: "upload_id=").last))
        let done = try await send(
            storage, "PUT", uploadPath, query: ["upload_id": id], body: bytes("png!"))
        #expect(done.status == 200)
        #expect(done.json["name"].string == "from-query")
        #expect(done.json["contentType"].string == "image/png")
    }

    @Test func cancelledUploadSessionIsGone() async throws {
        let id = try await startResumable()
        let cancelled = try await send(storage, "DELETE", uploadPath, query: ["upload_id": id])
        #expect(cancelled.status == 499)
        expectError(try await putChunk(id, "bytes */*", ""), 404, "NOT_FOUND")
    }
}

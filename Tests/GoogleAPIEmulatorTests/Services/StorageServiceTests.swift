import Testing

@testable import GoogleAPIEmulator

/// Buckets, object metadata, listing, downloads and errors.
@Suite struct StorageServiceTests {
    let storage = StorageService(clock: ManualClock().now)

    private func makeBucket(_ name: String, project: String = "123") async throws -> APIResponse {
        try await send(storage, "POST", "/storage/v1/b", query: ["project": project], json: #"{"name":"\#(name)"}"#)
    }

    private func put(_ bucket: String, _ name: String, _ data: String, contentType: String = "text/plain")
        async throws -> APIResponse
    {
        try await send(
            storage, "POST", "/upload/storage/v1/b/\(bucket)/o", query: ["uploadType": "media", "name": name],
            headers: ["content-type": contentType], body: bytes(data))
    }

    @Test func createBucketReturnsTheBucketResource() async throws {
        let response = try await makeBucket("photos")
        #expect(response.status == 200)
        #expect(response.header("content-type") == "application/json; charset=UTF-8")
        let bucket = response.json
        #expect(bucket["kind"].string == "storage#bucket")
        #expect(bucket["name"].string == "photos")
        #expect(bucket["id"].string == "photos")
        #expect(bucket["projectNumber"].string == "123")
        #expect(bucket["location"].string == "US")
        #expect(bucket["storageClass"].string == "STANDARD")
        #expect(bucket["metageneration"].string == "1")
        #expect(bucket["timeCreated"].string == "2027-01-15T08:00:00.000Z")
        #expect(bucket["etag"].string != nil)
        let fetched = try await send(storage, "GET", "/storage/v1/b/photos")
        #expect(fetched.json == bucket)
    }

    @Test func creatingAnExistingBucketConflicts() async throws {
        _ = try await makeBucket("photos")
        expectError(try await makeBucket("photos"), 409, "ALREADY_EXISTS", reason: "conflict")
    }

    @Test func creatingABucketNeedsAValidNameAndAProject() async throws {
        expectError(try await makeBucket("UPPER"), 400, "INVALID_ARGUMENT", reason: "invalid")
        let noProject = try await send(storage, "POST", "/storage/v1/b", json: #"{"name":"fine"}"#)
        expectError(noProject, 400, "INVALID_ARGUMENT", reason: "required")
    }

    @Test func bucketListPagesWithMaxResults() async throws {
        for name in ["bucket-c", "bucket-a", "bucket-b"] { _ = try await makeBucket(name) }
        _ = try await makeBucket("other-project", project: "456")
        let first = try await send(storage, "GET", "/storage/v1/b", query: ["project": "123", "maxResults": "2"])
        #expect(first.json["kind"].string == "storage#buckets")
        #expect(first.json["items"][0]["name"].string == "bucket-a")
        #expect(first.json["items"][1]["name"].string == "bucket-b")
        let token = try #require(first.json["nextPageToken"].string)
        let rest = try await send(
            storage, "GET", "/storage/v1/b", query: ["project": "123", "maxResults": "2", "pageToken": token])
        #expect(rest.json["items"].count == 1)
        #expect(rest.json["items"][0]["name"].string == "bucket-c")
        #expect(rest.json["nextPageToken"] == .null)
    }

    @Test func deletingABucketRequiresItToBeEmpty() async throws {
        _ = try await makeBucket("photos")
        _ = try await put("photos", "cat.jpg", "meow")
        expectError(try await send(storage, "DELETE", "/storage/v1/b/photos"), 409, "FAILED_PRECONDITION", reason: "conflict")
        #expect(try await send(storage, "DELETE", "/storage/v1/b/photos/o/cat.jpg").status == 204)
        #expect(try await send(storage, "DELETE", "/storage/v1/b/photos").status == 204)
        expectError(try await send(storage, "GET", "/storage/v1/b/photos"), 404, "NOT_FOUND", reason: "notFound")
    }

    @Test func objectMetadataCarriesChecksumsAndStringInt64s() async throws {
        _ = try await makeBucket("docs")
        let uploaded = try await put("docs", "fox.txt", quickFox)
        let fetched = try await send(storage, "GET", "/storage/v1/b/docs/o/fox.txt")
        #expect(fetched.json == uploaded.json)
        let object = fetched.json
        #expect(object["kind"].string == "storage#object")
        #expect(object["bucket"].string == "docs")
        #expect(object["size"].string == "43")
        #expect(object["metageneration"].string == "1")
        #expect(object["contentType"].string == "text/plain")
        #expect(object["md5Hash"].string == "nhB9nTcrtoJr2B01QqQZ1g==")
        #expect(object["crc32c"].string == "ImIEBA==")
        let generation = try #require(object["generation"].string)
        #expect(object["id"].string == "docs/fox.txt/\(generation)")
        #expect(Int64(generation) == 1_800_000_000_000_000)
    }

    @Test func overwritingAnObjectIncreasesItsGeneration() async throws {
        _ = try await makeBucket("docs")
        let first = try await put("docs", "a.txt", "one").json["generation"].string.flatMap { Int64($0) }
        let second = try await put("docs", "a.txt", "two").json["generation"].string.flatMap { Int64($0) }
        #expect(try #require(second) > (try #require(first)))
        let media = try await send(storage, "GET", "/storage/v1/b/docs/o/a.txt", query: ["alt": "media"])
        #expect(media.text == "two")
    }

    @Test func percentEncodedObjectNamesAreDecoded() async throws {
        _ = try await makeBucket("docs")
        _ = try await put("docs", "dir/a b.txt", "x")
        let object = try await send(storage, "GET", "/storage/v1/b/docs/o/dir%2Fa%20b.txt", headers: ["host": "localhost:8443"])
        #expect(object.json["name"].string == "dir/a b.txt")
        let mediaLink = try #require(object.json["mediaLink"].string)
        #expect(mediaLink.hasPrefix("https://localhost:8443/download/storage/v1/b/docs/o/dir%2Fa%20b.txt?generation="))
        #expect(mediaLink.hasSuffix("&alt=media"))
    }

    @Test func missingObjectAnswersGoogleErrorEnvelope() async throws {
        _ = try await makeBucket("bkt")
        let response = try await send(storage, "GET", "/storage/v1/b/bkt/o/o")
        expectError(response, 404, "NOT_FOUND", reason: "notFound", message: "No such object: bkt/o")
        #expect(response.header("content-type") == "application/json; charset=UTF-8")
    }

    @Test func preconditionIfGenerationMatchZeroRefusesOverwrite() async throws {
        _ = try await makeBucket("docs")
        let create = try await send(
            storage, "POST", "/upload/storage/v1/b/docs/o",
            query: ["uploadType": "media", "name": "once", "ifGenerationMatch": "0"], body: bytes("1"))
        #expect(create.status == 200)
        let again = try await send(
            storage, "POST", "/upload/storage/v1/b/docs/o",
            query: ["uploadType": "media", "name": "once", "ifGenerationMatch": "0"], body: bytes("2"))
        expectError(again, 412, "FAILED_PRECONDITION", reason: "conditionNotMet")
    }

    @Test func objectListFoldsPrefixesWithADelimiter() async throws {
        _ = try await makeBucket("tree")
        for name in ["a/1.txt", "a/2.txt", "a/sub/3.txt", "b/4.txt", "top.txt"] { _ = try await put("tree", name, "x") }
        let root = try await send(storage, "GET", "/storage/v1/b/tree/o", query: ["delimiter": "/"])
        #expect(root.json["kind"].string == "storage#objects")
        #expect(root.json["prefixes"].strings == ["a/", "b/"])
        #expect(root.json["items"].count == 1)
        #expect(root.json["items"][0]["name"].string == "top.txt")
        let inA = try await send(storage, "GET", "/storage/v1/b/tree/o", query: ["prefix": "a/", "delimiter": "/"])
        #expect(inA.json["prefixes"].strings == ["a/sub/"])
        #expect(inA.json["items"].count == 2)
    }

    @Test func objectListPagesWithMaxResults() async throws {
        _ = try await makeBucket("many")
        for name in ["3", "1", "2"] { _ = try await put("many", name, name) }
        let first = try await send(storage, "GET", "/storage/v1/b/many/o", query: ["maxResults": "2"])
        #expect(first.json["items"].count == 2)
        #expect(first.json["items"][0]["name"].string == "1")
        let token = try #require(first.json["nextPageToken"].string)
        let rest = try await send(storage, "GET", "/storage/v1/b/many/o", query: ["maxResults": "2", "pageToken": token])
        #expect(rest.json["items"][0]["name"].string == "3")
        #expect(rest.json["nextPageToken"] == .null)
        let empty = try await send(storage, "GET", "/storage/v1/b/many/o", query: ["prefix": "none"])
        #expect(empty.json == .object(["kind": .string("storage#objects")]))
    }

    @Test func mediaDownloadReturnsTheBytesAndHashes() async throws {
        _ = try await makeBucket("docs")
        _ = try await put("docs", "fox.txt", quickFox)
        for path in ["/storage/v1/b/docs/o/fox.txt", "/download/storage/v1/b/docs/o/fox.txt"] {
            let response = try await send(storage, "GET", path, query: ["alt": "media"])
            #expect(response.status == 200)
            #expect(response.text == quickFox)
            #expect(response.header("content-type") == "text/plain")
            #expect(response.header("x-goog-hash") == "crc32c=ImIEBA==,md5=nhB9nTcrtoJr2B01QqQZ1g==")
        }
    }

    @Test func rangedDownloadsAnswerPartialContent() async throws {
        _ = try await makeBucket("docs")
        _ = try await put("docs", "fox.txt", quickFox)
        let cases = [("bytes=4-8", "quick", "bytes 4-8/43"), ("bytes=40-", "dog", "bytes 40-42/43"),
                     ("bytes=-3", "dog", "bytes 40-42/43"), ("bytes=40-100", "dog", "bytes 40-42/43")]
        for (range, text, contentRange) in cases {
            let response = try await send(
                storage, "GET", "/storage/v1/b/docs/o/fox.txt", query: ["alt": "media"], headers: ["range": range])
            #expect(response.status == 206)
            #expect(response.text == text)
            #expect(response.header("content-range") == contentRange)
        }
    }

    @Test func rangePastTheEndIsUnsatisfiable() async throws {
        _ = try await makeBucket("docs")
        _ = try await put("docs", "fox.txt", quickFox)
        let response = try await send(
            storage, "GET", "/storage/v1/b/docs/o/fox.txt", query: ["alt": "media"], headers: ["range": "bytes=43-"])
        expectError(response, 416, "OUT_OF_RANGE", reason: "requestedRangeNotSatisfiable")
        #expect(response.header("content-range") == "bytes */43")
    }

    @Test func deletedObjectIsGone() async throws {
        _ = try await makeBucket("docs")
        _ = try await put("docs", "a", "x")
        let deleted = try await send(storage, "DELETE", "/storage/v1/b/docs/o/a")
        #expect(deleted.status == 204)
        #expect(deleted.body.isEmpty)
        expectError(try await send(storage, "GET", "/storage/v1/b/docs/o/a"), 404, "NOT_FOUND")
        expectError(try await send(storage, "DELETE", "/storage/v1/b/docs/o/a"), 404, "NOT_FOUND")
    }

    @Test func unknownStoragePathsAreNotFoundAndOtherPathsAreNotOurs() async throws {
        expectError(try await send(storage, "GET", "/storage/v1/projects/x"), 404, "NOT_FOUND", reason: "notFound")
        expectError(try await send(storage, "PATCH", "/storage/v1/b/x"), 404, "NOT_FOUND")
        #expect(await storage.handle(APIRequest(method: "GET", path: "/v1/projects/p/topics")) == nil)
    }
}

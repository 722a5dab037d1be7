import Testing

@testable import GoogleAPIEmulator

@Suite struct SecretManagerServiceTests {
    let secrets = SecretManagerService(clock: ManualClock().now)
    let secret = "/v1/projects/my-project/secrets/db-password"

    private func create(_ id: String = "db-password", project: String = "my-project") async throws -> APIResponse {
        try await send(
            secrets, "POST", "/v1/projects/\(project)/secrets", query: ["secretId": id],
            json: #"{"replication":{"automatic":{}}}"#)
    }

    private func addVersion(_ text: String, crc: String? = nil) async throws -> APIResponse {
        let checksum = crc.map { #","dataCrc32c":\#($0)"# } ?? ""
        let data = Base64.encode(bytes(text))
        return try await send(secrets, "POST", secret + ":addVersion", json: #"{"payload":{"data":"\#(data)"\#(checksum)}}"#)
    }

    private func access(_ version: String) async throws -> APIResponse {
        try await send(secrets, "GET", secret + "/versions/\(version):access")
    }

    private func change(_ version: String, _ verb: String) async throws -> APIResponse {
        try await send(secrets, "POST", secret + "/versions/\(version):\(verb)", json: "{}")
    }

    @Test func createSecretReturnsTheSecretResource() async throws {
        let created = try await create()
        #expect(created.status == 200)
        #expect(created.json["name"].string == "projects/my-project/secrets/db-password")
        #expect(created.json["replication"] == .object(["automatic": .object([:])]))
        #expect(created.json["createTime"].string == "2027-01-15T08:00:00.000000Z")
        #expect(created.json["etag"].string != nil)
        #expect(try await send(secrets, "GET", secret).json == created.json)
    }

    @Test func projectNumbersStayInNames() async throws {
        let created = try await create("api-key", project: "123456")
        #expect(created.json["name"].string == "projects/123456/secrets/api-key")
    }

    @Test func creatingAnExistingSecretIsAlreadyExists() async throws {
        _ = try await create()
        expectError(try await create(), 409, "ALREADY_EXISTS")
    }

    @Test func createNeedsASecretIDAndReplication() async throws {
        let noID = try await send(secrets, "POST", "/v1/projects/p/secrets", json: #"{"replication":{"automatic":{}}}"#)
        expectError(noID, 400, "INVALID_ARGUMENT")
        let noReplication = try await send(secrets, "POST", "/v1/projects/p/secrets", query: ["secretId": "s"], json: "{}")
        expectError(noReplication, 400, "INVALID_ARGUMENT")
    }

    @Test func deletedSecretIsNotFound() async throws {
        _ = try await create()
        #expect(try await send(secrets, "DELETE", secret).json == .object([:]))
        expectError(try await send(secrets, "GET", secret), 404, "NOT_FOUND", reason: "notFound")
        expectError(try await addVersion("x"), 404, "NOT_FOUND")
    }

    @Test func secretListPagesAndCountsTotal() async throws {
        for id in ["c", "a", "b"] { _ = try await create(id) }
        let path = "/v1/projects/my-project/secrets"
        let first = try await send(secrets, "GET", path, query: ["pageSize": "2"]).json
        #expect(first["secrets"].count == 2)
        #expect(first["secrets"][0]["name"].string == "projects/my-project/secrets/a")
        #expect(first["totalSize"].int == 3)
        let token = try #require(first["nextPageToken"].string)
        let rest = try await send(secrets, "GET", path, query: ["pageSize": "2", "pageToken": token]).json
        #expect(rest["secrets"][0]["name"].string == "projects/my-project/secrets/c")
        #expect(rest["nextPageToken"] == .null)
    }

    @Test func versionsAreNumberedAndLatestIsTheNewest() async throws {
        _ = try await create()
        let first = try await addVersion("one")
        #expect(first.json["name"].string == "projects/my-project/secrets/db-password/versions/1")
        #expect(first.json["state"].string == "ENABLED")
        #expect(first.json["createTime"].string != nil)
        #expect(first.json["etag"].string != nil)
        _ = try await addVersion("two")
        let latest = try await access("latest").json
        #expect(latest["name"].string == "projects/my-project/secrets/db-password/versions/2")
        #expect(latest["payload"]["data"].string == Base64.encode(bytes("two")))
        #expect(latest["payload"]["dataCrc32c"].string == String(CRC32C.checksum(bytes("two"))))
        #expect(try await access("1").json["payload"]["data"].string == Base64.encode(bytes("one")))
        let metadata = try await send(secrets, "GET", secret + "/versions/latest").json
        #expect(metadata["name"].string == "projects/my-project/secrets/db-password/versions/2")
    }

    @Test func versionListIsNewestFirstWithTotal() async throws {
        _ = try await create()
        for text in ["1", "2", "3"] { _ = try await addVersion(text) }
        let list = try await send(secrets, "GET", secret + "/versions", query: ["pageSize": "2"]).json
        #expect(list["versions"][0]["name"].string == "projects/my-project/secrets/db-password/versions/3")
        #expect(list["versions"][1]["name"].string == "projects/my-project/secrets/db-password/versions/2")
        #expect(list["totalSize"].int == 3)
        let token = try #require(list["nextPageToken"].string)
        let rest = try await send(secrets, "GET", secret + "/versions", query: ["pageToken": token]).json
        #expect(rest["versions"][0]["name"].string == "projects/my-project/secrets/db-password/versions/1")
    }

    @Test func matchingChecksumIsAcceptedAsStringOrNumber() async throws {
        _ = try await create()
        let crc = CRC32C.checksum(bytes("s3cret"))
        let asString = try await addVersion("s3cret", crc: "\"\(crc)\"")
        #expect(asString.status == 200)
        #expect(asString.json["clientSpecifiedPayloadChecksum"] == .bool(true))
        #expect(try await addVersion("s3cret", crc: String(crc)).status == 200)
    }

    @Test func checksumMismatchIsInvalidArgument() async throws {
        _ = try await create()
        expectError(try await addVersion("s3cret", crc: "\"1\""), 400, "INVALID_ARGUMENT")
        expectError(try await access("latest"), 404, "NOT_FOUND")
    }

    @Test func disabledVersionCannotBeAccessedUntilEnabled() async throws {
        _ = try await create()
        _ = try await addVersion("v1")
        let disabled = try await change("1", "disable")
        #expect(disabled.json["state"].string == "DISABLED")
        expectError(
            try await access("1"), 400, "FAILED_PRECONDITION",
            message: "Secret Version [projects/my-project/secrets/db-password/versions/1] is in DISABLED state.")
        #expect(try await change("1", "enable").json["state"].string == "ENABLED")
        #expect(try await access("1").status == 200)
    }

    @Test func latestNamesTheNewestVersionEvenWhenDisabled() async throws {
        _ = try await create()
        _ = try await addVersion("v1")
        _ = try await addVersion("v2")
        _ = try await change("2", "disable")
        expectError(try await access("latest"), 400, "FAILED_PRECONDITION")
    }

    @Test func destroyedVersionLosesItsPayloadForGood() async throws {
        _ = try await create()
        _ = try await addVersion("v1")
        let destroyed = try await change("1", "destroy").json
        #expect(destroyed["state"].string == "DESTROYED")
        #expect(destroyed["destroyTime"].string != nil)
        expectError(try await access("1"), 400, "FAILED_PRECONDITION")
        expectError(try await change("1", "enable"), 400, "FAILED_PRECONDITION")
    }

    @Test func missingVersionIsNotFound() async throws {
        _ = try await create()
        expectError(try await access("latest"), 404, "NOT_FOUND")
        _ = try await addVersion("v1")
        expectError(try await access("7"), 404, "NOT_FOUND")
        expectError(try await send(secrets, "GET", "/v1/projects/my-project/secrets/ghost/versions/1:access"), 404, "NOT_FOUND")
    }

    @Test func unknownSecretPathsAreNotFoundAndTopicsAreNotOurs() async throws {
        _ = try await create()
        expectError(try await change("1", "rotate"), 404, "NOT_FOUND")
        expectError(try await send(secrets, "PUT", secret), 404, "NOT_FOUND")
        #expect(await secrets.handle(APIRequest(method: "GET", path: "/v1/projects/p/topics/t")) == nil)
    }
}

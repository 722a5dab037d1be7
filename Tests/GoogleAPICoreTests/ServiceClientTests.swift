import Foundation
import GoogleAPICore
import GoogleAPIEmulator
import GoogleAuth
import MTLS
import TestSupport
import Testing

/// The runtime of generated clients against the emulator over mTLS + HTTP/2: JSON calls, paging,
/// retries with RetryInfo, token refresh on 401, media up and down, error decoding.
@Suite("GoogleAPICore ServiceClient")
struct ServiceClientTests {
    static let secretManager = ServiceDescription(name: "secretmanager", version: "v1", rootURL: "https://secretmanager.googleapis.com/",
                                                  mtlsRootURL: "https://secretmanager.mtls.googleapis.com/", servicePath: "",
                                                  scopes: ["https://www.googleapis.com/auth/cloud-platform"])
    static let pubsub = ServiceDescription(name: "pubsub", version: "v1", rootURL: "https://pubsub.googleapis.com/",
                                           mtlsRootURL: "https://pubsub.mtls.googleapis.com/", servicePath: "",
                                           scopes: ["https://www.googleapis.com/auth/pubsub"])
    static let storage = ServiceDescription(name: "storage", version: "v1", rootURL: "https://storage.googleapis.com/",
                                            mtlsRootURL: "https://storage.mtls.googleapis.com/", servicePath: "storage/v1/",
                                            scopes: ["https://www.googleapis.com/auth/devstorage.read_write"])

    struct Secret: Codable, Sendable { var name: String?; var replication: Replication? }
    struct Replication: Codable, Sendable { var automatic: Empty? }
    struct AddVersion: Codable, Sendable { var payload: Payload }
    struct Payload: Codable, Sendable { var data: GoogleBytes?; var dataCrc32c: GoogleInt64? }
    struct Access: Codable, Sendable { var name: String?; var payload: Payload? }
    struct Topic: Codable, Sendable { var name: String? }
    struct TopicList: PagedResponse { var topics: [Topic]?; var nextPageToken: String? }
    struct Object: Codable, Sendable { var name: String?; var size: GoogleInt64?; var md5Hash: String?; var timeCreated: GoogleTimestamp? }

    /// An emulator and a client for `service` configured by the emulator's files alone.
    func start(_ service: ServiceDescription, faults: [EmulatorFaultRule] = [], retry: RetryPolicy = .standard,
               credentials: (any CredentialsProvider)? = nil) async throws -> (GoogleAPIEmulator, ServiceClient) {
        let emulator = try await GoogleAPIEmulator.start(.init(directory: try TestPKI.shared.scratch("core").path, faults: faults))
        let options = ClientOptions(credentials: credentials, timeout: .seconds(30), retry: retry,
                                    tls: TLSConfiguration(trustRoots: .pemFile(emulator.files.caCertificate)),
                                    connectTo: emulator.connectTo,
                                    environment: AuthEnvironment(variables: emulator.files.environment, homeDirectory: emulator.files.directory))
        return (emulator, try await ServiceClient(service, options: options))
    }

    static let quickRetry = RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50),
                                        multiplier: 2, retryableStatuses: [429, 500, 502, 503, 504])

    @Test("JSON calls go to the mTLS endpoint with the discovered certificate and decode Google's conventions")
    func jsonCalls() async throws {
        let (emulator, client) = try await start(Self.secretManager)
        defer { Task { await client.shutdown(); await emulator.shutdown() } }
        #expect(client.baseURL == "https://secretmanager.mtls.googleapis.com/")
        let created: Secret = try await client.call("POST", "v1/{+parent}/secrets", pathParameters: ["parent": "projects/p"],
                                                    query: [QueryItem("secretId", "api-key")],
                                                    body: Secret(replication: Replication(automatic: Empty())))
        #expect(created.name == "projects/p/secrets/api-key")
        let _: Secret = try await client.call("POST", "v1/{+parent}/secrets", pathParameters: ["parent": "projects/p"],
                                              query: [QueryItem("secretId", "token")], body: Secret(replication: Replication(automatic: Empty())))
        try await client.callWithoutResponse("POST", "v1/{+name}:addVersion", pathParameters: ["name": "projects/p/secrets/token"],
                                             body: AddVersion(payload: Payload(data: GoogleBytes(Array("s3cr3t".utf8)))))
        let access: Access = try await client.call("GET", "v1/{+name}:access",
                                                   pathParameters: ["name": "projects/p/secrets/token/versions/latest"])
        #expect(access.payload?.data?.bytes == Array("s3cr3t".utf8))
        #expect(access.payload?.dataCrc32c != nil)
    }

    @Test("errors decode Google's envelope into GoogleAPIError with the canonical code")
    func errorEnvelope() async throws {
        let (emulator, client) = try await start(Self.secretManager)
        defer { Task { await client.shutdown(); await emulator.shutdown() } }
        let error = await #expect(throws: GoogleAPIError.self) {
            let _: Secret = try await client.call("GET", "v1/{+name}", pathParameters: ["name": "projects/p/secrets/absent"])
        }
        #expect(error?.status == 404)
        #expect(error?.code == "NOT_FOUND")
    }

    @Test("Pages walks pageToken/nextPageToken across every page")
    func paging() async throws {
        let (emulator, client) = try await start(Self.pubsub)
        defer { Task { await client.shutdown(); await emulator.shutdown() } }
        for index in 0..<7 {
            try await client.callWithoutResponse("PUT", "v1/{+name}", pathParameters: ["name": "projects/p/topics/topic-\(index)"], body: Empty())
        }
        let pages = Pages<TopicList> { token in
            try await client.call("GET", "v1/{+project}/topics", pathParameters: ["project": "projects/p"],
                                  query: [QueryItem("pageSize", "2")] + (token.map { [QueryItem("pageToken", $0)] } ?? []))
        }
        var names: [String] = []
        var count = 0
        for try await page in pages {
            count += 1
            names += (page.topics ?? []).compactMap(\.name)
        }
        #expect(count == 4)
        #expect(names == (0..<7).map { "projects/p/topics/topic-\($0)" })
    }

    @Test("idempotent calls are retried on 503, waiting at least what RetryInfo asks; non-idempotent ones are not")
    func retriesHonourRetryInfo() async throws {
        let (emulator, client) = try await start(Self.pubsub, faults: [
            EmulatorFaultRule(pathPrefix: "/v1/projects/p/topics", every: 2, fault: .status(503, retryDelay: .milliseconds(400))),
        ], retry: Self.quickRetry)
        defer { Task { await client.shutdown(); await emulator.shutdown() } }
        try await client.callWithoutResponse("GET", "v1/{+project}/topics", pathParameters: ["project": "projects/p"])   // 1st: ok
        let start = ContinuousClock.now
        try await client.callWithoutResponse("GET", "v1/{+project}/topics", pathParameters: ["project": "projects/p"])   // 2nd: 503, then ok
        #expect(ContinuousClock.now - start >= .milliseconds(400))
        let error = await #expect(throws: GoogleAPIError.self) {   // 4th request (POST): 503, not retried
            try await client.callWithoutResponse("POST", "v1/{+name}:publish", pathParameters: ["name": "projects/p/topics/x"],
                                                 body: Empty())
        }
        #expect(error?.code == "UNAVAILABLE")
        #expect(error?.retryDelay == .milliseconds(400))
    }

    @Test("a 401 makes the client drop its token, fetch a new one and succeed")
    func refreshOn401() async throws {
        let provider = RevokedOnce()
        let (emulator, client) = try await start(Self.pubsub, credentials: provider)
        defer { Task { await client.shutdown(); await emulator.shutdown() } }
        let real = try GoogleCredentials.fromFile(emulator.files.serviceAccount,
                                                  options: CredentialsOptions(selfSignedJWT: .audience("https://pubsub.googleapis.com/")))
        provider.install(real)
        try await client.callWithoutResponse("GET", "v1/{+project}/topics", pathParameters: ["project": "projects/p"])
        #expect(provider.invalidations == 1)
    }

    @Test("uploads of all three kinds store the bytes; downloads stream them back identical, ranges and progress included")
    func mediaUploadAndDownload() async throws {
        let (emulator, client) = try await start(Self.storage)
        defer { Task { await client.shutdown(); await emulator.shutdown() } }
        try await client.callWithoutResponse("POST", "b", query: [QueryItem("project", "p")], body: ["name": "media"])
        let data = (0..<(3 << 20) + 12345).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        let progress = Locked<[Int]>([])
        for (name, kind) in [("simple.bin", UploadProtocol.simple), ("multipart.bin", .multipart),
                             ("resumable.bin", .resumable(chunkSize: 512 << 10))] {
            let object: Object = try await client.upload("/upload/storage/v1/b/{bucket}/o", pathParameters: ["bucket": "media"],
                                                         query: [QueryItem("name", name)], metadata: ["name": name],
                                                         media: .bytes(data), protocol: kind) { sent, _ in
                progress.withLock { $0.append(sent) }
            }
            #expect(object.size?.value == Int64(data.count), "\(name)")
            let file = try TestPKI.shared.scratch("download").appendingPathComponent(name).path
            try await client.download("GET", "b/{bucket}/o/{object}", pathParameters: ["bucket": "media", "object": name], to: .file(file))
            #expect(Digest.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: file)))) == Digest.sha256(data), "\(name)")
        }
        #expect(progress.withLock { $0.contains(512 << 10) && $0.last == data.count })
        let collected = try await client.download("GET", "b/{bucket}/o/{object}",
                                                  pathParameters: ["bucket": "media", "object": "resumable.bin"], to: .collect)
        #expect(collected.count == data.count)
    }

    @Test("a resumable upload whose chunk is dropped asks the server where it stopped and completes")
    func resumableUploadResumes() async throws {
        let (emulator, client) = try await start(Self.storage, faults: [
            EmulatorFaultRule(pathPrefix: "/upload/storage/v1/b/media/o?uploadType=resumable&upload_id", every: 3, fault: .drop),
        ], retry: Self.quickRetry)
        defer { Task { await client.shutdown(); await emulator.shutdown() } }
        try await client.callWithoutResponse("POST", "b", query: [QueryItem("project", "p")], body: ["name": "media"])
        let data = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        let object: Object = try await client.upload("/upload/storage/v1/b/{bucket}/o", pathParameters: ["bucket": "media"],
                                                     query: [QueryItem("name", "big.bin")], metadata: ["name": "big.bin"],
                                                     media: .bytes(data), protocol: .resumable(chunkSize: 256 << 10))
        #expect(object.size?.value == Int64(data.count))
        let back = try await client.download("GET", "b/{bucket}/o/{object}", pathParameters: ["bucket": "media", "object": "big.bin"],
                                             to: .collect)
        #expect(Digest.sha256(back) == Digest.sha256(data))
    }
}

/// Credentials whose first token the server rejects (as if revoked); after `invalidate` they hand
/// out real ones.
final class RevokedOnce: CredentialsProvider {
    private let state = Locked<(real: GoogleCredentials?, invalidated: Int)>((nil, 0))

    func install(_ real: GoogleCredentials) { state.withLock { $0.real = real } }

    var invalidations: Int { state.withLock { $0.invalidated } }

    func token() async throws -> AccessToken {
        let (real, invalidated) = state.withLock { ($0.real, $0.invalidated) }
        guard invalidated > 0, let real else { return AccessToken(value: "ya29.revoked", expiry: Date() + 3600) }
        return try await real.token()
    }

    func invalidate() async { state.withLock { $0.invalidated += 1 } }
}

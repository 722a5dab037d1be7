import Foundation
import GoogleAPICore
import GoogleAPIEmulator
import GoogleAuth
import GooglePubsub
import GoogleSecretmanager
import GoogleStorage
import MTLS
import TestSupport
import Testing

/// The generated clients end to end over mTLS + HTTP/2 against the emulator, configured by the
/// emulator's files alone, as an app would be.
@Suite("Generated clients against the emulator")
struct GeneratedClientsTests {
    /// An emulator and client options that reach it.
    static func start(faults: [EmulatorFaultRule] = [], retry: GoogleAPICore.RetryPolicy = .standard) async throws -> (GoogleAPIEmulator, ClientOptions) {
        let emulator = try await GoogleAPIEmulator.start(.init(directory: try TestPKI.shared.scratch("typed").path, faults: faults))
        let options = ClientOptions(timeout: .seconds(120), retry: retry,
                                    tls: TLSConfiguration(trustRoots: .pemFile(emulator.files.caCertificate)),
                                    connectTo: emulator.connectTo,
                                    environment: AuthEnvironment(variables: emulator.files.environment,
                                                                 homeDirectory: emulator.files.directory))
        return (emulator, options)
    }

    static let quickRetry = GoogleAPICore.RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(100),
                                        multiplier: 2, retryableStatuses: [429, 500, 502, 503, 504])

    @Test("Storage: all three upload kinds, and a 64 MiB object downloaded to a file with SHA-256 equality")
    func storageUploadsAndDownloads() async throws {
        let (emulator, options) = try await Self.start()
        let storage = try await StorageClient(options: options)
        defer { Task { await storage.shutdown(); await emulator.shutdown() } }
        #expect(storage.client.baseURL == "https://storage.mtls.googleapis.com/storage/v1/")
        _ = try await storage.buckets.insert(project: "emulator-project", body: Bucket(name: "typed"))
        let small = Array("hello from a generated client".utf8)
        for (name, kind) in [("simple.txt", UploadProtocol.simple), ("multipart.txt", .multipart)] {
            let object = try await storage.objects.insert(bucket: "typed", body: Object(name: name), name: name,
                                                          media: .bytes(small), uploadProtocol: kind)
            #expect(object.size?.value == UInt64(small.count), "\(name)")
        }
        let big = (0..<(64 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
        let progress = Locked(0)
        let object = try await storage.objects.insert(bucket: "typed", body: Object(name: "big.bin"), media: .bytes(big),
                                                      uploadProtocol: .resumable(chunkSize: 8 << 20)) { sent, _ in
            progress.withLock { $0 = sent }
        }
        #expect(object.size?.value == UInt64(big.count))
        #expect(progress.withLock { $0 } == big.count)
        let file = try TestPKI.shared.scratch("typed-download").appendingPathComponent("big.bin").path
        try await storage.objects.getMedia(bucket: "typed", object: "big.bin", to: .file(file))
        #expect(Digest.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: file)))) == Digest.sha256(big))
        let listing = try await storage.objects.list(bucket: "typed")
        #expect(Set((listing.items ?? []).compactMap(\.name)) == ["simple.txt", "multipart.txt", "big.bin"])
    }

    @Test("Storage: a resumable upload whose connection drops is resumed where the server stopped")
    func storageResumableResumes() async throws {
        let (emulator, options) = try await Self.start(faults: [
            EmulatorFaultRule(pathPrefix: "/resumable/upload/storage/v1/b/typed/o?uploadType=resumable&upload_id", every: 2, fault: .drop),
        ], retry: Self.quickRetry)
        let storage = try await StorageClient(options: options)
        defer { Task { await storage.shutdown(); await emulator.shutdown() } }
        _ = try await storage.buckets.insert(project: "emulator-project", body: Bucket(name: "typed"))
        let data = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let object = try await storage.objects.insert(bucket: "typed", body: Object(name: "resumed.bin"), media: .bytes(data),
                                                      uploadProtocol: .resumable(chunkSize: 512 << 10))
        #expect(object.size?.value == UInt64(data.count))
        let back = try TestPKI.shared.scratch("typed-resumed").appendingPathComponent("resumed.bin").path
        try await storage.objects.getMedia(bucket: "typed", object: "resumed.bin", to: .file(back))
        #expect(Digest.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: back)))) == Digest.sha256(data))
    }

    @Test("Pub/Sub: publish, pull, acknowledge; topics listed across several pages")
    func pubsubRoundTrip() async throws {
        let (emulator, options) = try await Self.start()
        let pubsub = try await PubsubClient(options: options)
        defer { Task { await pubsub.shutdown(); await emulator.shutdown() } }
        let topic = "projects/emulator-project/topics/orders"
        _ = try await pubsub.projects.topics.create(name: topic, body: Topic())
        _ = try await pubsub.projects.subscriptions.create(name: "projects/emulator-project/subscriptions/billing",
                                                           body: Subscription(topic: topic))
        let published = try await pubsub.projects.topics.publish(topic: topic, body: PublishRequest(messages: (1...3).map {
            PubsubMessage(attributes: ["n": "\($0)"], data: GoogleBytes(Array("order \($0)".utf8)))
        }))
        #expect(published.messageIds?.count == 3)
        let pulled = try await pubsub.projects.subscriptions.pull(subscription: "projects/emulator-project/subscriptions/billing",
                                                                  body: PullRequest(maxMessages: 10))
        let messages = pulled.receivedMessages ?? []
        #expect(messages.compactMap { $0.message?.data?.bytes }.map { String(decoding: $0, as: UTF8.self) }
                == ["order 1", "order 2", "order 3"])
        _ = try await pubsub.projects.subscriptions.acknowledge(subscription: "projects/emulator-project/subscriptions/billing",
                                                                body: AcknowledgeRequest(ackIds: messages.compactMap(\.ackId)))
        for index in 0..<6 { _ = try await pubsub.projects.topics.create(name: "projects/emulator-project/topics/t-\(index)", body: Topic()) }
        var pages = 0
        var names: [String] = []
        for try await page in pubsub.projects.topics.listPages(project: "projects/emulator-project", pageSize: 2) {
            pages += 1
            names += (page.topics ?? []).compactMap(\.name)
        }
        #expect(pages == 4)
        #expect(names.count == 7)
    }

    @Test("Secret Manager: create, add a version, access it")
    func secretManager() async throws {
        let (emulator, options) = try await Self.start()
        let secrets = try await SecretmanagerClient(options: options)
        defer { Task { await secrets.shutdown(); await emulator.shutdown() } }
        let secret = try await secrets.projects.secrets.create(parent: "projects/emulator-project",
                                                               body: Secret(replication: Replication(automatic: Automatic())),
                                                               secretId: "db-password")
        #expect(secret.name == "projects/emulator-project/secrets/db-password")
        _ = try await secrets.projects.secrets.addVersion(parent: "projects/emulator-project/secrets/db-password",
                                                          body: AddSecretVersionRequest(payload: SecretPayload(data: GoogleBytes(Array("hunter2".utf8)))))
        let access = try await secrets.projects.secrets.versions.access(name: "projects/emulator-project/secrets/db-password/versions/latest")
        #expect(access.payload?.data?.bytes == Array("hunter2".utf8))
    }

    @Test("retries on injected 503s honour RetryInfo; errors decode into GoogleAPIError")
    func retriesAndErrors() async throws {
        let (emulator, options) = try await Self.start(faults: [
            EmulatorFaultRule(pathPrefix: "/v1/projects/emulator-project/secrets/", every: 2,
                              fault: .status(503, retryDelay: .milliseconds(300))),
        ], retry: Self.quickRetry)
        let secrets = try await SecretmanagerClient(options: options)
        defer { Task { await secrets.shutdown(); await emulator.shutdown() } }
        let error = await #expect(throws: GoogleAPIError.self) {
            _ = try await secrets.projects.secrets.get(name: "projects/emulator-project/secrets/absent")   // 1st: 404
        }
        #expect(error?.code == "NOT_FOUND")
        let start = ContinuousClock.now
        await #expect(throws: GoogleAPIError.self) {   // 2nd: 503 with RetryInfo, retried after 300 ms, then 404
            _ = try await secrets.projects.secrets.get(name: "projects/emulator-project/secrets/absent")
        }
        #expect(ContinuousClock.now - start >= .milliseconds(300))
    }
}

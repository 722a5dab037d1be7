// storage-example BUCKET [FILE]: lists the bucket, uploads FILE (or a small text) with a progress
// line, downloads it back and compares. ADC and the device certificate as Google's libraries find
// them; point it at the emulator with the variables `emulator --env` prints.
import Foundation
import GoogleAPICore
import GoogleStorage
import Synchronization

let arguments = CommandLine.arguments.dropFirst()
let bucket = arguments.first ?? "example-bucket"
let project = ProcessInfo.processInfo.environment["GOOGLE_CLOUD_PROJECT"] ?? "emulator-project"
let storage = try await StorageClient()
print("endpoint \(storage.client.baseURL) (\(storage.client.resolution.certificate.source.map { "client certificate from \($0.kind.name)" } ?? "no client certificate"))")

if (try? await storage.buckets.get(bucket: bucket)) == nil {
    _ = try await storage.buckets.insert(project: project, body: Bucket(name: bucket))
    print("created bucket \(bucket)")
}
let media: MediaSource = arguments.dropFirst().first.map { .file($0) } ?? .bytes(Array(repeating: UInt8(ascii: "x"), count: 3 << 20))
let name = arguments.dropFirst().first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "example.txt"
let object = try await storage.objects.insert(bucket: bucket, body: Object(name: name), media: media,
                                              uploadProtocol: .resumable(chunkSize: 1 << 20)) { sent, total in
    print("uploading \(name): \(sent >> 10) of \((total ?? 0) >> 10) KiB")
}
print("uploaded \(object.name ?? name): \(object.size?.value ?? 0) bytes, md5 \(object.md5Hash ?? "?")")
for item in try await storage.objects.list(bucket: bucket).items ?? [] {
    print("  \(item.name ?? "?")  \(item.size?.value ?? 0) bytes")
}
let copy = FileManager.default.temporaryDirectory.appendingPathComponent("storage-example-\(getpid())").path
let received = Mutex(0)
try await storage.objects.getMedia(bucket: bucket, object: name, to: .file(copy)) { bytes, _ in
    received.withLock { $0 = bytes }
}
print("downloaded \(received.withLock { $0 }) bytes to \(copy)")
await storage.shutdown()

import Foundation
import GoogleAPIEmulator
import GoogleAuth
import HTTP2
import MTLS

// The main job, end to end on this machine: a local Google API emulator over mutual TLS, and an
// app that finds its certificate, endpoint and credentials the way Google's libraries do, then
// calls Secret Manager, Cloud Storage and Pub/Sub over HTTP/2.

/// Runs one call and prints its status; the body is returned for the next step.
func call(_ client: HTTPClient, _ method: String, _ url: String, token: AccessToken, json: String? = nil,
          headers extra: HTTPHeaders = [:]) async throws -> (Int, [String: Any]) {
    var headers: HTTPHeaders = ["authorization": token.authorizationHeader]
    for (name, value) in extra { headers.add(name: name, value: value) }
    if json != nil { headers.add(name: "content-type", value: "application/json") }
    let response = try await client.execute(HTTPRequest(method: method, url: url, headers: headers,
                                                        body: json.map { .bytes(Array($0.utf8)) } ?? .none))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
    print("    \(method) \(url.replacingOccurrences(of: "https://", with: "")) -> \(response.status)")
    return (response.status, object)
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("emulator-demo-\(getpid())").path
let emulator = try await GoogleAPIEmulator.start(.init(directory: directory))
print("emulator on 127.0.0.1:\(emulator.port), files in \(directory)")

// 1. What the app sees: only GOOGLE_API_CERTIFICATE_CONFIG and GOOGLE_APPLICATION_CREDENTIALS.
let environment = AuthEnvironment(variables: emulator.files.environment, homeDirectory: directory)
let trust = TLSConfiguration(trustRoots: .pemFile(emulator.files.caCertificate))
let resolution = try ServiceResolution.resolve(.named("secretmanager"), environment: environment)
print("[1] discovery")
for reason in resolution.reasons { print("    - \(reason)") }
guard let source = resolution.certificate.source else { fatalError("the emulator's certificate was not found") }

// 2. Credentials: the service account's JWT, exchanged at oauth2.mtls.googleapis.com over mTLS.
let credentials = try await GoogleCredentials.applicationDefault(
    options: CredentialsOptions(clientCertificate: source, tls: trust, connectTo: emulator.connectTo), environment: environment)
let token = try await credentials.token()
print("[2] credentials: \(credentials.kind), token obtained (\(token))")

let client = try HTTPClient(configuration: .init(tls: resolution.tlsConfiguration(trust), connectTo: emulator.connectTo))

// 3. Secret Manager.
print("[3] Secret Manager at \(resolution.endpoint.endpoint)")
let secrets = resolution.endpoint.endpoint + "v1/projects/emulator-project/secrets"
_ = try await call(client, "POST", secrets + "?secretId=db-password", token: token, json: #"{"replication":{"automatic":{}}}"#)
let payload = Data("correct horse battery staple".utf8).base64EncodedString()
_ = try await call(client, "POST", secrets + "/db-password:addVersion", token: token, json: #"{"payload":{"data":"\#(payload)"}}"#)
let (_, accessed) = try await call(client, "GET", secrets + "/db-password/versions/latest:access", token: token)
let secret = ((accessed["payload"] as? [String: Any])?["data"] as? String).flatMap { Data(base64Encoded: $0) }
print("    secret read back: \(secret.map { String(decoding: $0, as: UTF8.self) == "correct horse battery staple" ? "matches" : "DIFFERS" } ?? "missing")")

// 4. Cloud Storage: bucket, upload, ranged download.
let storage = try ServiceResolution.resolve(.named("storage"), environment: environment).endpoint.endpoint
print("[4] Cloud Storage at \(storage)")
_ = try await call(client, "POST", storage + "storage/v1/b?project=emulator-project", token: token, json: #"{"name":"demo-bucket"}"#)
let upload = storage + "upload/storage/v1/b/demo-bucket/o?uploadType=media&name=hello.txt"
let (_, object) = try await call(client, "POST", upload, token: token, json: #"{"greeting":"hello over mTLS"}"#)
print("    stored \(object["name"] ?? "?"), \(object["size"] ?? "?") bytes, md5 \(object["md5Hash"] ?? "?")")
// A 4 MiB object by resumable upload, 1 MiB a chunk, with a progress line; then listed and downloaded.
let blob = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
let session = try await client.execute(HTTPRequest(
    method: "POST", url: storage + "upload/storage/v1/b/demo-bucket/o?uploadType=resumable",
    headers: ["authorization": token.authorizationHeader, "content-type": "application/json"],
    body: .bytes(Array(#"{"name":"data/blob.bin"}"#.utf8))))
guard let location = session.headers.first(name: "location") else { fatalError("no resumable session") }
for offset in stride(from: 0, to: blob.count, by: 1 << 20) {
    let end = min(offset + (1 << 20), blob.count) - 1
    let total = end + 1 == blob.count ? "\(blob.count)" : "*"
    let chunk = try await client.execute(HTTPRequest(method: "PUT", url: location,
        headers: ["authorization": token.authorizationHeader, "content-range": "bytes \(offset)-\(end)/\(total)"],
        body: .bytes(Array(blob[offset...end]))))
    print("    uploading data/blob.bin: \((end + 1) >> 20)/\(blob.count >> 20) MiB (HTTP \(chunk.status))")
}
let (_, listing) = try await call(client, "GET", storage + "storage/v1/b/demo-bucket/o", token: token)
print("    listed: \((listing["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })")
let download = try await client.execute(HTTPRequest(url: storage + "storage/v1/b/demo-bucket/o/data%2Fblob.bin?alt=media",
                                                    headers: ["authorization": token.authorizationHeader]))
var downloaded: [UInt8] = []
for try await piece in download.body {
    downloaded += piece
    if downloaded.count % (1 << 20) < piece.count { print("    downloading data/blob.bin: \(downloaded.count >> 20)/4 MiB") }
}
print("    downloaded \(downloaded.count) bytes, \(downloaded == blob ? "identical" : "DIFFERENT")")
let ranged = try await client.execute(HTTPRequest(url: storage + "storage/v1/b/demo-bucket/o/hello.txt?alt=media",
                                                  headers: ["authorization": token.authorizationHeader, "range": "bytes=13-26"]))
print("    bytes 13-26: HTTP \(ranged.status) \"\(String(decoding: try await ranged.body.collect(upTo: 64), as: UTF8.self))\"")

// 5. Pub/Sub: topic, subscription, publish, pull, acknowledge.
let pubsub = try ServiceResolution.resolve(.named("pubsub"), environment: environment).endpoint.endpoint
print("[5] Pub/Sub at \(pubsub)")
let project = pubsub + "v1/projects/emulator-project"
_ = try await call(client, "PUT", project + "/topics/orders", token: token)
_ = try await call(client, "PUT", project + "/subscriptions/billing", token: token,
                   json: #"{"topic":"projects/emulator-project/topics/orders"}"#)
let messages = (1...3).map { #"{"data":"\#(Data("order \($0)".utf8).base64EncodedString())"}"# }.joined(separator: ",")
_ = try await call(client, "POST", project + "/topics/orders:publish", token: token, json: #"{"messages":[\#(messages)]}"#)
let (_, pulled) = try await call(client, "POST", project + "/subscriptions/billing:pull", token: token, json: #"{"maxMessages":10}"#)
let received = pulled["receivedMessages"] as? [[String: Any]] ?? []
let ackIDs = received.compactMap { $0["ackId"] as? String }
print("    pulled \(received.count) messages")
_ = try await call(client, "POST", project + "/subscriptions/billing:acknowledge", token: token,
                   json: #"{"ackIds":[\#(ackIDs.map { "\"\($0)\"" }.joined(separator: ","))]}"#)

// 6. Faults the emulator acts out on request, as a client's retry logic would meet them.
print("[6] faults")
_ = try await call(client, "GET", project + "/topics", token: token, headers: ["x-emulator-fault": "status=503,retry-delay=1s"])
let start = ContinuousClock.now
_ = try await call(client, "GET", project + "/topics", token: token, headers: ["x-emulator-fault": "delay=300ms"])
print("    the delayed answer took \(ContinuousClock.now - start)")

// 7. The TLS session itself.
let tls = try await TLSConnection.connect(host: "secretmanager.mtls.googleapis.com", port: 443,
                                          configuration: source.tlsConfiguration(trust), connectTo: emulator.connectTo)
if let info = await tls.info {
    print("[7] TLS: \(info.protocolVersion), \(info.cipherSuite), ALPN \(info.applicationProtocol ?? "none"), "
          + "client certificate \(info.clientCertificate?.subject ?? "not sent")")
}
await tls.close()

// 8. What `gmtls doctor` says about this machine setup, against this same emulator.
let gmtls = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("gmtls").path
if FileManager.default.isExecutableFile(atPath: gmtls) {
    print("[8] gmtls doctor --service storage --cacert … --connect-to \(emulator.connectToArgument)")
    let doctor = Process()
    doctor.executableURL = URL(fileURLWithPath: gmtls)
    doctor.arguments = ["doctor", "--service", "storage", "--cacert", emulator.files.caCertificate,
                        "--connect-to", emulator.connectToArgument]
    doctor.environment = emulator.files.environment.merging(["HOME": directory, "NO_GCE_CHECK": "true"]) { $1 }
    let report = Pipe()
    doctor.standardOutput = report
    try doctor.run()
    print(String(decoding: report.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    doctor.waitUntilExit()
    guard doctor.terminationStatus == 0 else { fatalError("gmtls doctor found a problem") }
}
await client.shutdown()
await credentials.shutdown()
await emulator.shutdown()
try? FileManager.default.removeItem(atPath: directory)
print("done: every call went over mutual TLS and HTTP/2 to the local emulator")

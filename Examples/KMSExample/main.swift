// kms-example [KEY]: encrypts a text with a Cloud KMS key and decrypts it again.
// KEY is projects/P/locations/L/keyRings/R/cryptoKeys/K.
import Foundation
import GoogleAPICore
import GoogleCloudkms

let project = ProcessInfo.processInfo.environment["GOOGLE_CLOUD_PROJECT"] ?? "emulator-project"
let key = CommandLine.arguments.dropFirst().first ?? "projects/\(project)/locations/global/keyRings/example/cryptoKeys/example"
let kms = try await CloudkmsClient()
let keys = kms.projects.locations.keyRings.cryptoKeys
let encrypted = try await keys.encrypt(name: key, body: EncryptRequest(plaintext: GoogleBytes(Array("attack at dawn".utf8))))
print("encrypted with \(encrypted.name ?? key): \(encrypted.ciphertext?.bytes.count ?? 0) bytes of ciphertext")
let decrypted = try await keys.decrypt(name: key, body: DecryptRequest(ciphertext: encrypted.ciphertext))
print("decrypted: \(String(decoding: decrypted.plaintext?.bytes ?? [], as: UTF8.self))")
await kms.shutdown()

// secret-example [SECRET]: reads the latest version of a Secret Manager secret (creating it with
// a sample value first when it does not exist).
import Foundation
import GoogleAPICore
import GoogleSecretmanager

let project = ProcessInfo.processInfo.environment["GOOGLE_CLOUD_PROJECT"] ?? "emulator-project"
let id = CommandLine.arguments.dropFirst().first ?? "example-secret"
let name = "projects/\(project)/secrets/\(id)"
let secrets = try await SecretmanagerClient()
if (try? await secrets.projects.secrets.get(name: name)) == nil {
    _ = try await secrets.projects.secrets.create(parent: "projects/\(project)",
                                                  body: Secret(replication: Replication(automatic: Automatic())), secretId: id)
    _ = try await secrets.projects.secrets.addVersion(parent: name,
        body: AddSecretVersionRequest(payload: SecretPayload(data: GoogleBytes(Array("s3cr3t value".utf8)))))
    print("created \(name) with a sample version")
}
let access = try await secrets.projects.secrets.versions.access(name: name + "/versions/latest")
print("\(access.name ?? name): \(access.payload?.data?.bytes.count ?? 0) bytes (value not shown)")
await secrets.shutdown()

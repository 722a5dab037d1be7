// token-example SERVICE_ACCOUNT: mints a short-lived access token for a service account with IAM
// Credentials (the caller needs roles/iam.serviceAccountTokenCreator on it).
import Foundation
import GoogleAPICore
import GoogleIamcredentials

let project = ProcessInfo.processInfo.environment["GOOGLE_CLOUD_PROJECT"] ?? "emulator-project"
let account = CommandLine.arguments.dropFirst().first ?? "robot@\(project).iam.gserviceaccount.com"
let iam = try await IamcredentialsClient()
let token = try await iam.projects.serviceAccounts.generateAccessToken(
    name: "projects/-/serviceAccounts/\(account)",
    body: GenerateAccessTokenRequest(lifetime: "600s", scope: ["https://www.googleapis.com/auth/cloud-platform"]))
print("token for \(account) expires at \(token.expireTime?.date.description ?? "?") (\(token.accessToken?.count ?? 0) characters, not shown)")
await iam.shutdown()

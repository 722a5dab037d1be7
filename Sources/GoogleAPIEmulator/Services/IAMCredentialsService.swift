import FoundationEssentials
import MTLS

/// IAM Credentials (v1) `generateAccessToken`: any service account of the caller's project gets a
/// token the emulator accepts, with the lifetime asked for (at most an hour).
public actor IAMCredentialsService: RoutedService {
    private let issue: @Sendable (Duration) -> (token: String, expiry: Date)

    init(issue: @escaping @Sendable (Duration) -> (token: String, expiry: Date)) {
        self.issue = issue
    }

    static func route(of request: APIRequest) -> String? {
        let prefix = "/v1/projects/-/serviceAccounts/", suffix = ":generateAccessToken"
        guard request.method == "POST", request.path.hasPrefix(prefix), request.path.hasSuffix(suffix) else { return nil }
        return PercentEncoding.decode(String(request.path.dropFirst(prefix.count).dropLast(suffix.count)))
    }

    private struct Body: Decodable {
        let scope: [String]?
        let lifetime: String?
    }

    func respond(to request: APIRequest, _ account: String) throws(ServiceError) -> APIResponse {
        let body = try JSONBody.decode(Body.self, from: request.body)
        guard let scope = body.scope, !scope.isEmpty else { throw .invalidArgument("Scope required.") }
        let seconds = body.lifetime.flatMap { Int($0.dropLast()) } ?? 3600
        guard (1...3600).contains(seconds) else { throw .invalidArgument("lifetime must be between 1s and 3600s.") }
        let (token, expiry) = issue(.seconds(seconds))
        return .json(200, ["accessToken": token, "expireTime": RFC3339.string(from: expiry, fractionDigits: 0)])
    }
}

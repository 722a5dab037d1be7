import FoundationEssentials
import HTTP2

/// Routes each request to the emulated API its host names (`storage.googleapis.com` → Storage),
/// after acting out faults, refusing mTLS hosts without a client certificate as Google does, and
/// checking the bearer token.
final class EmulatorRouter: Sendable {
    private let tokens: TokenIssuer
    private let services: [String: any APIService]
    private let faults: FaultInjector

    init(tokens: TokenIssuer, services: [String: any APIService], faults: FaultInjector) {
        self.tokens = tokens
        self.services = services
        self.faults = faults
    }

    func handle(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        var connectionFault: HTTPServerResponse.Fault?
        for fault in faults.faults(for: request) {
            switch fault {
            case .delay(let delay): try? await Task.sleep(for: delay)
            case .status(let status, let retryDelay): return Self.serverResponse(Self.unavailable(status, retryDelay: retryDelay))
            case .goAway: connectionFault = .goAwayAfterResponse
            case .drop: return HTTPServerResponse(status: 0, fault: .dropConnection)
            case .refuse: return HTTPServerResponse(status: 0, fault: .refuseStream)
            }
        }
        var response = Self.serverResponse(await answer(request))
        response.fault = connectionFault
        return response
    }

    private func answer(_ request: HTTPServerRequest) async -> APIResponse {
        let labels = request.host.split(separator: ".")
        guard labels.count >= 3, request.host.hasSuffix(".googleapis.com"), let service = labels.first.map(String.init) else {
            return APIResponse.error(404, "The emulator serves *.googleapis.com names only, not \(request.host).",
                                     status: "NOT_FOUND", reason: "notFound")
        }
        if labels.contains("mtls") && request.clientCertificate == nil {
            return APIResponse.error(403, "The mTLS endpoint \(request.host) requires a client certificate: configure one "
                                     + "(GOOGLE_API_CERTIFICATE_CONFIG) or use the regular endpoint.",
                                     status: "PERMISSION_DENIED", reason: "forbidden")
        }
        let apiRequest = Self.apiRequest(request)
        switch (service, request.method, apiRequest.path) {
        case ("oauth2", "POST", "/token"):
            return tokens.oauthToken(Self.form(request.body))
        case ("sts", "POST", "/v1/token"):
            return tokens.stsToken(Self.form(request.body), presented: request.clientCertificate)
        default:
            break
        }
        guard let api = services[service] else {
            return APIResponse.error(404, "The emulator does not serve \(service).googleapis.com.", status: "NOT_FOUND",
                                     reason: "notFound")
        }
        guard tokens.accepts(request.headers.first(name: "authorization"), service: service) else {
            return APIResponse.error(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                                     + "login cookie or other valid authentication credential.",
                                     status: "UNAUTHENTICATED", reason: "authError")
        }
        return await api.handle(apiRequest) ?? APIResponse.error(404, "Method not found: \(request.method) \(apiRequest.path)",
                                                                 status: "NOT_FOUND", reason: "notFound")
    }

    /// 429/503 with Google's envelope, and RetryInfo when a retry delay is given.
    static func unavailable(_ status: Int, retryDelay: Duration?) -> APIResponse {
        let name = status == 429 ? "RESOURCE_EXHAUSTED" : status == 503 ? "UNAVAILABLE" : "INTERNAL"
        var error: [String: JSONLiteral] = ["code": .integer(status), "message": "Injected by the emulator.",
                                            "status": .string(name)]
        if let retryDelay {
            error["details"] = [["@type": "type.googleapis.com/google.rpc.RetryInfo",
                                 "retryDelay": .string("\(Double(retryDelay.components.seconds) + Double(retryDelay.components.attoseconds) / 1e18)s")]]
        }
        return APIResponse.json(status, ["error": JSONLiteral.object(error)] as JSONLiteral)
    }

    static func serverResponse(_ response: APIResponse) -> HTTPServerResponse {
        HTTPServerResponse(status: response.status, headers: HTTPHeaders(response.headers), body: response.body)
    }

    static func apiRequest(_ request: HTTPServerRequest) -> APIRequest {
        let components = URLComponents(string: request.path)
        var query: [String: [String]] = [:]
        for item in components?.queryItems ?? [] { query[item.name, default: []].append(item.value ?? "") }
        var headers: [String: String] = [:]
        for (name, value) in request.headers { headers[name] = headers[name].map { $0 + ", " + value } ?? value }
        headers["host"] = request.authority
        // Storage's Discovery document names `/resumable/upload/...` for resumable uploads: the same endpoint.
        var path = components?.percentEncodedPath ?? request.path
        if path.hasPrefix("/resumable/upload/") { path.removeFirst("/resumable".count) }
        return APIRequest(method: request.method, path: path, query: query, headers: headers, body: request.body)
    }

    /// An `application/x-www-form-urlencoded` body.
    static func form(_ body: [UInt8]) -> [String: String] {
        let text = String(decoding: body, as: UTF8.self).replacing("+", with: "%20")
        var fields: [String: String] = [:]
        for item in URLComponents(string: "?" + text)?.queryItems ?? [] { fields[item.name] = item.value ?? "" }
        return fields
    }
}

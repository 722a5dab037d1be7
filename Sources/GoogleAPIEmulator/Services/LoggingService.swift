import FoundationEssentials

/// Cloud Logging (v2) `entries.write` and `entries.list`, kept in memory in order.
public actor LoggingService: RoutedService {
    private var entries: [JSONValue] = []

    /// An empty log.
    public init() {}

    static func route(of request: APIRequest) -> String? {
        request.method == "POST" && ["/v2/entries:write", "/v2/entries:list"].contains(request.path) ? request.path : nil
    }

    private struct Write: Decodable {
        let entries: [JSONValue]?
        let logName: String?
    }

    func respond(to request: APIRequest, _ path: String) throws(ServiceError) -> APIResponse {
        if path == "/v2/entries:list" { return .json(200, ["entries": entries]) }
        let body = try JSONBody.decode(Write.self, from: request.body)
        guard let written = body.entries, !written.isEmpty else { throw .invalidArgument("entries must not be empty.") }
        for entry in written {
            guard case .object(let fields) = entry, fields["logName"] != nil || body.logName != nil else {
                throw .invalidArgument("Log name must be given in the request or in each entry.")
            }
        }
        entries += written
        return .json(200, [String: String]())
    }
}

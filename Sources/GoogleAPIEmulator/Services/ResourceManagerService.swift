/// Resource Manager (v3) reads of the one project the emulator knows: get, list and search.
public actor ResourceManagerService: RoutedService {
    private let projectID: String

    /// A service knowing `projectID` (number 100000000001, parent `organizations/1`).
    public init(projectID: String) {
        self.projectID = projectID
    }

    static func route(of request: APIRequest) -> String? {
        guard request.method == "GET", request.path.hasPrefix("/v3/projects") else { return nil }
        return String(request.path.dropFirst("/v3/projects".count))
    }

    private var project: [String: String] {
        ["name": "projects/100000000001", "projectId": projectID, "displayName": projectID, "state": "ACTIVE",
         "parent": "organizations/1", "etag": "W/\"1\""]
    }

    func respond(to request: APIRequest, _ rest: String) throws(ServiceError) -> APIResponse {
        switch rest {
        case ":search", "": return .json(200, ["projects": [project]])
        case "/\(projectID)", "/100000000001": return .json(200, project)
        default: throw .failedPrecondition("Project not found or permission denied.", code: 403, reason: "forbidden")
        }
    }
}

import FoundationEssentials

/// An in-memory Secret Manager API (v1): secrets, versions, access, enable/disable/destroy.
///
/// Routes `/v1/projects/{p}/secrets...`. "latest" names the most recently created version whatever its
/// state, as Secret Manager does. Etag preconditions, secret updates (PATCH), TTLs and IAM are not emulated.
public actor SecretManagerService: RoutedService {
    /// The largest payload Secret Manager accepts (64 KiB).
    static let maxPayloadSize = 65_536
    private static let paging = Paging(defaultSize: 25_000, maxSize: 25_000)

    private var secrets: [String: Secret] = [:]
    private var lastETag = 0
    private let clock: @Sendable () -> Date

    /// An empty service; `clock` stamps createTime and destroyTime.
    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    /// Secret paths; nil for anything else.
    static func route(of request: APIRequest) -> ProjectPath? {
        ProjectPath(request.path, collections: ["secrets"])
    }

    func respond(to request: APIRequest, _ path: ProjectPath) throws(ServiceError) -> APIResponse {
        let name = path.resourceName
        let segments = path.segments
        let isVersion = segments.count > 2 && segments[2] == "versions"
        switch (request.method, segments.count, path.verb) {
        case ("POST", 1, nil): return try create(path.project, request)
        case ("GET", 1, nil): return try list(path.project, request)
        case ("GET", 2, nil): return .json(200, try secret(name).resource)
        case ("DELETE", 2, nil): return try delete(name)
        case ("POST", 2, "addVersion"): return try addVersion(name, request)
        case ("GET", 3, nil) where isVersion: return try listVersions(name, request)
        case ("GET", 4, nil) where isVersion: return .json(200, try version(name, segments[3]).resource())
        case ("GET", 4, "access") where isVersion: return try access(name, segments[3])
        case ("POST", 4, let verb?) where isVersion: return try changeState(name, segments[3], verb, request)
        default: throw .noRoute(request)
        }
    }

    // MARK: Secrets

    private func create(_ project: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        guard let id = request.queryValue("secretId"), Secret.isValidID(id) else {
            throw .invalidArgument("secretId must be 1 to 255 letters, digits, '-' or '_'.")
        }
        let name = "projects/\(project)/secrets/\(id)"
        var resource = try JSONBody.decode(Secret.Resource.self, from: request.body)
        guard Secret.isValidReplication(resource.replication) else {
            throw .invalidArgument("replication must be set to automatic or userManaged.")
        }
        guard secrets[name] == nil else { throw .alreadyExists("Secret [\(name)] already exists.") }
        resource.name = name
        resource.createTime = RFC3339.string(from: clock(), fractionDigits: 6)
        resource.etag = nextETag()
        secrets[name] = Secret(resource: resource)
        return .json(200, resource)
    }

    private func delete(_ name: String) throws(ServiceError) -> APIResponse {
        _ = try secret(name)
        secrets[name] = nil
        return .json(200, EmptyJSON())
    }

    private func list(_ project: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        let all = secrets.values.map(\.resource).listed(in: project, "secrets")
        return try listResponse(all, request, SecretManagerWire.SecretList.init)
    }

    // MARK: Versions

    /// Adds version n + 1; a given `dataCrc32c` must match the data.
    private func addVersion(_ secretName: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        var secret = try secret(secretName)
        let payload = try JSONBody.decode(SecretManagerWire.AddVersionRequest.self, from: request.body).payload
        guard let payload, let data = Base64.decode(payload.data ?? "") else {
            throw .invalidArgument("payload.data must be base64-encoded bytes.")
        }
        guard data.count <= Self.maxPayloadSize else {
            throw .invalidArgument("payload.data is larger than \(Self.maxPayloadSize) bytes.")
        }
        let crc = Int64(CRC32C.checksum(data))
        if let given = payload.dataCrc32c, given.value != crc {
            throw .invalidArgument("payload.dataCrc32c is \(given.value) but the data's CRC32C is \(crc).")
        }
        let number = secret.versions.count + 1
        let version = SecretVersion(
            name: "\(secretName)/versions/\(number)", number: number, created: clock(), payload: data,
            etag: nextETag(), clientChecksum: payload.dataCrc32c != nil)
        secret.versions.append(version)
        secrets[secretName] = secret
        return .json(200, version.resource())
    }

    private func listVersions(_ secretName: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        let all = try secret(secretName).versions.reversed().map { $0.resource() }
        return try listResponse(all, request, SecretManagerWire.VersionList.init)
    }

    /// The payload of an ENABLED version; 400 FAILED_PRECONDITION for a disabled or destroyed one.
    private func access(_ secretName: String, _ id: String) throws(ServiceError) -> APIResponse {
        let version = try version(secretName, id)
        guard version.state == .enabled, let data = version.payload else {
            throw .failedPrecondition("Secret Version [\(version.name)] is in \(version.state.rawValue) state.")
        }
        let payload = SecretManagerWire.Payload(
            data: Base64.encode(data), dataCrc32c: FlexibleInt64(Int64(CRC32C.checksum(data))))
        return .json(200, SecretManagerWire.AccessResponse(name: version.name, payload: payload))
    }

    /// `:enable`, `:disable`, `:destroy`; a destroyed version can change no more (400 FAILED_PRECONDITION).
    private func changeState(_ secretName: String, _ id: String, _ verb: String, _ request: APIRequest)
        throws(ServiceError) -> APIResponse
    {
        let states: [String: SecretVersion.State] = ["enable": .enabled, "disable": .disabled, "destroy": .destroyed]
        guard let state = states[verb] else { throw .noRoute(request) }
        var version = try version(secretName, id)
        guard version.state != .destroyed else {
            throw .failedPrecondition("Secret Version [\(version.name)] is in DESTROYED state.")
        }
        version.state = state
        version.etag = nextETag()
        if state == .destroyed {
            version.payload = nil
            version.destroyed = clock()
        }
        secrets[secretName]?.versions[version.number - 1] = version
        return .json(200, version.resource())
    }

    // MARK: Shared

    private func secret(_ name: String) throws(ServiceError) -> Secret {
        guard let secret = secrets[name] else { throw .notFound("Secret [\(name)] not found.") }
        return secret
    }

    private func version(_ secretName: String, _ id: String) throws(ServiceError) -> SecretVersion {
        guard let version = try secret(secretName).version(id) else {
            throw .notFound("Secret Version [\(secretName)/versions/\(id)] not found.")
        }
        return version
    }

    /// The page of `all` that `request` asks for, as the list body `make` builds from the page's items,
    /// its next-page token and `totalSize` (every item, not just this page's).
    private func listResponse<Item, List: Encodable>(
        _ all: [Item], _ request: APIRequest, _ make: ([Item]?, String?, Int?) -> List
    ) throws(ServiceError) -> APIResponse {
        let page = try Self.paging.page(all, request)
        return .json(200, make(page.items.nonEmpty, page.nextPageToken, all.nonEmpty?.count))
    }

    private func nextETag() -> String {
        lastETag += 1
        return "\"\(String(lastETag, radix: 16))\""
    }
}

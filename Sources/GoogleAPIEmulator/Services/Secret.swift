/// A Secret Manager secret and its versions (version n at index n - 1).
struct Secret: Sendable {
    /// The secret's JSON resource; also the body of `POST .../secrets` (where only replication,
    /// labels and annotations count).
    struct Resource: Codable, Sendable, ProjectResource {
        var name: String?
        var replication: JSONValue?
        var createTime: String?
        var etag: String?
        var labels: [String: String]?
        var annotations: [String: String]?
    }

    var resource: Resource
    var versions: [SecretVersion] = []

    /// The version `id` names: a number, or "latest" for the most recently created one (whatever its state).
    func version(_ id: String) -> SecretVersion? {
        if id == "latest" { return versions.last }
        guard let number = Int(id), versions.indices.contains(number - 1) else { return nil }
        return versions[number - 1]
    }

    /// Whether `replication` is an object with `automatic` or `userManaged`.
    static func isValidReplication(_ replication: JSONValue?) -> Bool {
        guard let members = replication?.objectValue else { return false }
        return members["automatic"] != nil || members["userManaged"] != nil
    }

    /// Whether `id` is a valid secret id: 1–255 of `A-Z a-z 0-9 - _`.
    static func isValidID(_ id: String) -> Bool {
        let allowed = id.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_".unicodeScalars.contains(scalar))
        }
        return (1...255).contains(id.count) && allowed
    }
}

import FoundationEssentials

/// One version of a secret: its payload (dropped when destroyed) and state.
struct SecretVersion: Sendable {
    /// ENABLED, DISABLED or DESTROYED.
    enum State: String, Sendable {
        case enabled = "ENABLED"
        case disabled = "DISABLED"
        case destroyed = "DESTROYED"
    }

    /// The version's JSON resource.
    struct Resource: Encodable, Sendable {
        var name: String
        var createTime: String
        var destroyTime: String?
        var state: String
        var etag: String
        var clientSpecifiedPayloadChecksum: Bool?
    }

    /// `projects/{p}/secrets/{s}/versions/{n}`.
    var name: String
    /// n, counting from 1.
    var number: Int
    var created: Date
    var state: State = .enabled
    /// The secret data; nil once destroyed.
    var payload: [UInt8]?
    var destroyed: Date?
    var etag: String
    /// Whether the client sent `dataCrc32c` when adding it.
    var clientChecksum: Bool

    /// The resource as the API returns it.
    func resource() -> Resource {
        Resource(
            name: name, createTime: RFC3339.string(from: created, fractionDigits: 6),
            destroyTime: destroyed.map { RFC3339.string(from: $0, fractionDigits: 6) }, state: state.rawValue,
            etag: etag, clientSpecifiedPayloadChecksum: clientChecksum ? true : nil)
    }
}

/// Request and response bodies of the Secret Manager API that are not resources.
enum SecretManagerWire {
    /// A secret payload: base64 data and its CRC32C (int64, written as a string).
    struct Payload: Codable, Sendable {
        var data: String?
        var dataCrc32c: FlexibleInt64?
    }

    /// `:addVersion` request.
    struct AddVersionRequest: Decodable, Sendable {
        var payload: Payload?
    }

    /// `:access` response.
    struct AccessResponse: Encodable, Sendable {
        var name: String
        var payload: Payload
    }

    /// `GET .../secrets` response; `totalSize` counts every secret, not just this page.
    struct SecretList: Encodable, Sendable {
        var secrets: [Secret.Resource]?
        var nextPageToken: String?
        var totalSize: Int?
    }

    /// `GET .../versions` response, newest first.
    struct VersionList: Encodable, Sendable {
        var versions: [SecretVersion.Resource]?
        var nextPageToken: String?
        var totalSize: Int?
    }
}

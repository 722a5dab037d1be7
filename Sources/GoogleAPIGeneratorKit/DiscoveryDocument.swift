/// The parts of a Google Discovery document (REST description) the generator reads.
///
/// Only facts are kept: names, types, paths and flags. The documents' `description` prose is
/// deliberately not decoded, so that no generated comment can copy it.
struct DiscoveryDocument: Decodable, Sendable {
    let name: String
    let version: String
    let revision: String?
    let rootUrl: String
    let mtlsRootUrl: String?
    let servicePath: String
    let auth: DiscoveryAuth?
    let schemas: [String: DiscoverySchema]?
    let resources: [String: DiscoveryResource]?
    let methods: [String: DiscoveryMethod]?

    /// The OAuth scopes in a stable order: `cloud-platform` first when offered, then sorted.
    var scopes: [String] {
        let all = (auth?.oauth2?.scopes ?? [:]).keys.sorted()
        let preferred = "https://www.googleapis.com/auth/cloud-platform"
        guard all.contains(preferred) else { return all }
        return [preferred] + all.filter { $0 != preferred }
    }
}

/// `auth` of a Discovery document.
struct DiscoveryAuth: Decodable, Sendable {
    let oauth2: OAuth2?

    /// `auth.oauth2`: the scopes are the keys of `scopes`.
    struct OAuth2: Decodable, Sendable {
        let scopes: [String: Scope]?
    }

    /// One scope entry (its description is not read).
    struct Scope: Decodable, Sendable {}
}

/// A resource: methods and nested resources.
struct DiscoveryResource: Decodable, Sendable {
    let methods: [String: DiscoveryMethod]?
    let resources: [String: DiscoveryResource]?
}

/// A method of a resource.
struct DiscoveryMethod: Decodable, Sendable {
    let id: String?
    let httpMethod: String
    let path: String
    let parameters: [String: DiscoveryParameter]?
    let parameterOrder: [String]?
    let request: Reference?
    let response: Reference?
    let scopes: [String]?
    let supportsMediaUpload: Bool?
    let mediaUpload: MediaUpload?
    let supportsMediaDownload: Bool?
    let useMediaDownloadService: Bool?

    /// `{"$ref": "Name"}`.
    struct Reference: Decodable, Sendable {
        let ref: String?

        enum CodingKeys: String, CodingKey {
            case ref = "$ref"
        }
    }

    /// `mediaUpload`: accepted types, size limit and the upload paths of each protocol.
    struct MediaUpload: Decodable, Sendable {
        let accept: [String]?
        let maxSize: String?
        let protocols: Protocols?

        /// `mediaUpload.protocols`.
        struct Protocols: Decodable, Sendable {
            let simple: UploadPath?
            let resumable: UploadPath?
        }

        /// One protocol's `path`.
        struct UploadPath: Decodable, Sendable {
            let path: String?
        }
    }
}

/// A method parameter.
struct DiscoveryParameter: Decodable, Sendable {
    let type: String?
    let format: String?
    let location: String?
    let required: Bool?
    let repeated: Bool?
    let `enum`: [String]?
    let deprecated: Bool?
}

/// A JSON schema of the Discovery dialect. A class, because schemas nest.
final class DiscoverySchema: Decodable, Sendable {
    let type: String?
    let format: String?
    let ref: String?
    let properties: [String: DiscoverySchema]?
    let items: DiscoverySchema?
    let additionalProperties: DiscoverySchema?
    let `enum`: [String]?
    let readOnly: Bool?
    let deprecated: Bool?

    enum CodingKeys: String, CodingKey {
        case type, format, properties, items, additionalProperties, `enum`, readOnly, deprecated
        case ref = "$ref"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decodeIfPresent(String.self, forKey: .type)
        format = try container.decodeIfPresent(String.self, forKey: .format)
        ref = try container.decodeIfPresent(String.self, forKey: .ref)
        properties = try container.decodeIfPresent([String: DiscoverySchema].self, forKey: .properties)
        items = try container.decodeIfPresent(DiscoverySchema.self, forKey: .items)
        // `additionalProperties` may also be a boolean; only a schema means a map.
        additionalProperties = try? container.decodeIfPresent(DiscoverySchema.self, forKey: .additionalProperties)
        `enum` = try container.decodeIfPresent([String].self, forKey: .enum)
        readOnly = try container.decodeIfPresent(Bool.self, forKey: .readOnly)
        deprecated = try container.decodeIfPresent(Bool.self, forKey: .deprecated)
    }

    /// True for an object schema with neither properties nor a map value: it carries nothing.
    var isEmptyObject: Bool {
        type == "object" && (properties ?? [:]).isEmpty && additionalProperties == nil && ref == nil
    }
}

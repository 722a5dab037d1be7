/// The client struct and its resources, with every Swift name decided.
struct ServicePlan: Sendable {
    /// The client struct: top-level methods and resources.
    var root: ResourcePlan
}

/// A resource struct (or the client struct itself, for the root).
struct ResourcePlan: Sendable {
    /// Discovery keys from the root, e.g. `["projects", "secrets"]` (empty for the root).
    var path: [String]
    /// The member name in the parent, unescaped (empty for the root).
    var propertyName: String
    /// The qualified type name, e.g. `SecretmanagerClient.ProjectsResource.SecretsResource`.
    var qualifiedTypeName: String
    var enums: [ParameterEnum]
    var methods: [MethodPlan]
    var children: [ResourcePlan]

    /// The simple type name.
    var typeName: String { String(qualifiedTypeName.split(separator: ".").last!) }
}

/// An enum struct for a query parameter, shared by the methods of a resource that take the
/// parameter with the same values.
struct ParameterEnum: Sendable {
    var name: String
    var parameter: String
    /// The method keys using it, when it is not shared by the whole resource.
    var methods: [String]
    var members: [EnumMember]
}

/// One Discovery method and the Swift functions generated for it.
struct MethodPlan: Sendable {
    var key: String
    /// The function name, unescaped.
    var name: String
    var id: String
    var httpMethod: String
    var path: String
    var scopes: [String]
    /// Path and required query parameters, in `parameterOrder`.
    var required: [ParameterPlan]
    /// Optional query parameters, sorted.
    var optional: [ParameterPlan]
    /// The request body type, spelled.
    var requestType: String?
    /// The response type, spelled; nil when there is no response body.
    var responseType: String?
    /// The response is GoogleAPICore's `Empty`.
    var responseIsEmpty: Bool
    /// `<name>Pages` when the method pages with `pageToken`/`nextPageToken`.
    var pagesName: String?
    /// `<name>Media` when the method can download media.
    var mediaDownloadName: String?
    var upload: UploadPlan?
    /// Local variable names that no parameter uses.
    var queryVariable: String
    var pathVariable: String

    var allParameters: [ParameterPlan] { required + optional }
}

/// The media upload paths of a method.
struct UploadPlan: Sendable {
    var simplePath: String
    var resumablePath: String
    var maxSize: String?
    var accept: [String]
}

/// A method parameter.
struct ParameterPlan: Sendable {
    enum Location: Sendable { case path, query }

    var discoveryName: String
    /// The Swift label and name, unescaped.
    var name: String
    /// The element type, e.g. `String`, `Int32`, or an enum struct's name.
    var elementType: String
    var isEnum: Bool
    var repeated: Bool
    var required: Bool
    var location: Location

    /// The declared type, e.g. `[String]?`.
    var declaredType: String {
        let type = repeated ? "[\(elementType)]" : elementType
        return required ? type : type + "?"
    }

    /// `name: Type` or `name: Type? = nil`.
    var declaration: String {
        "\(Identifiers.escaped(name)): \(declaredType)" + (required ? "" : " = nil")
    }
}

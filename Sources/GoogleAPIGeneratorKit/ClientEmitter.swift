/// Writes `Client.swift`: the client struct, one struct per resource, and their methods.
struct ClientEmitter {
    let document: DiscoveryDocument
    let service: ServicePlan

    /// The file's text, after `header` (the generated-file banner).
    func emit(header: [String]) -> String {
        var writer = CodeWriter()
        header.forEach { writer.line($0) }
        writer.line("import GoogleAPICore")
        writer.line()
        clientStruct(into: &writer)
        emitNested(service.root, into: &writer)
        if usesQuery(service.root) {
            writer.line()
            QueryHelper.emit(into: &writer)
        }
        return writer.text
    }

    // MARK: The client

    private func clientStruct(into writer: inout CodeWriter) {
        let root = service.root
        var doc = ["A client of the \(DocText.code(document.name)) API, version \(DocText.code(document.version)),",
                   "at \(DocText.code(document.rootUrl + document.servicePath))."]
        if document.scopes.contains(where: { DocText.shortScope($0) != $0 }) {
            doc += ["", "Method comments name their OAuth scopes relative to \(DocText.code(DocText.scopePrefix))."]
        }
        writer.doc(doc)
        writer.block("public struct \(root.typeName): Sendable") { writer in
            serviceDescription(into: &writer)
            writer.line()
            writer.doc(["The connection every call goes through."])
            writer.line("public let client: ServiceClient")
            writer.line()
            writer.doc(["Connects as `options` say; by default with Application Default Credentials and the",
                        "certificate and endpoint chosen from the environment."])
            writer.block("public init(options: ClientOptions = ClientOptions()) async throws") { writer in
                writer.line("client = try await ServiceClient(Self.service, options: options)")
            }
            writer.line()
            writer.doc(["Closes the client's connections."])
            writer.block("public func shutdown() async") { writer in
                writer.line("await client.shutdown()")
            }
            members(of: root, into: &writer)
        }
    }

    private func serviceDescription(into writer: inout CodeWriter) {
        writer.doc(["The API's name, endpoints, path prefix and OAuth scopes."])
        writer.line("public static let service = ServiceDescription(")
        let arguments = [
            "name: " + SwiftLiteral.string(document.name),
            "version: " + SwiftLiteral.string(document.version),
            "rootURL: " + SwiftLiteral.string(document.rootUrl),
            "mtlsRootURL: " + (document.mtlsRootUrl.map(SwiftLiteral.string) ?? "nil"),
            "servicePath: " + SwiftLiteral.string(document.servicePath),
        ]
        for argument in arguments { writer.line("    " + argument + ",") }
        if document.scopes.isEmpty {
            writer.line("    scopes: []")
        } else {
            writer.line("    scopes: [")
            for scope in document.scopes { writer.line("        " + SwiftLiteral.string(scope) + ",") }
            writer.line("    ]")
        }
        writer.line(")")
    }

    // MARK: Resources

    /// Each resource of `parent` as a struct in an extension of its parent, depth first.
    private func emitNested(_ parent: ResourcePlan, into writer: inout CodeWriter) {
        for child in parent.children {
            writer.line()
            writer.block("extension \(parent.qualifiedTypeName)") { writer in
                writer.doc(["The \(DocText.code(child.path.joined(separator: "."))) resource."])
                writer.block("public struct \(child.typeName): Sendable") { writer in
                    writer.line("let client: ServiceClient")
                    members(of: child, into: &writer)
                }
            }
            emitNested(child, into: &writer)
        }
    }

    /// Enum types, sub-resource properties and methods of a resource (or of the client).
    private func members(of resource: ResourcePlan, into writer: inout CodeWriter) {
        for parameterEnum in resource.enums {
            writer.line()
            let methods = parameterEnum.methods.map(DocText.code).joined(separator: ", ")
            let user = methods.isEmpty ? "" : " of " + methods
            EnumEmitter.emit(name: parameterEnum.name, members: parameterEnum.members,
                             doc: "Values of the \(DocText.code(parameterEnum.parameter)) parameter\(user); others are sent as they are.",
                             into: &writer)
        }
        for child in resource.children {
            writer.line()
            writer.doc(["The \(DocText.code(child.path.joined(separator: "."))) methods."])
            writer.line("public var \(Identifiers.escaped(child.propertyName)): \(child.typeName) { \(child.typeName)(client: client) }")
        }
        for method in resource.methods {
            MethodEmitter(method: method).emit(into: &writer)
        }
    }

    private func usesQuery(_ resource: ResourcePlan) -> Bool {
        resource.methods.contains { $0.allParameters.contains { $0.location == .query } }
            || resource.children.contains(where: usesQuery)
    }
}

/// Writes the functions of one Discovery method: the JSON call, and when the method allows it
/// the pages sequence, the media upload and the media download.
struct MethodEmitter {
    let method: MethodPlan

    static let progressParameter = "progress: (@Sendable (Int, Int?) -> Void)? = nil"

    func emit(into writer: inout CodeWriter) {
        jsonCall(into: &writer)
        if let name = method.pagesName { pages(name, into: &writer) }
        if let upload = method.upload { mediaUpload(upload, into: &writer) }
        if let name = method.mediaDownloadName { mediaDownload(name, into: &writer) }
    }

    // MARK: Functions

    private func jsonCall(into writer: inout CodeWriter) {
        writer.line()
        writer.doc(["\(DocText.code("\(method.httpMethod) \(method.path)")) (\(DocText.code(method.id)))."] + scopesDoc)
        if method.responseIsEmpty { writer.line("@discardableResult") }
        let returns = method.responseType.map { " -> " + $0 } ?? ""
        writer.parameterBlock("public func \(Identifiers.escaped(method.name))", parameters(body: bodyParameter()),
                              " async throws" + returns) { writer in
            let query = queryStatements(&writer)
            let function = method.responseType == nil ? "callWithoutResponse" : "call"
            let call = "try await self.client.\(function)"
            writer.call((method.responseType == nil ? "" : "return ") + call, [
                SwiftLiteral.string(method.httpMethod), SwiftLiteral.string(method.path),
                "pathParameters: " + pathParameters, "query: " + query,
                "body: " + (method.requestType == nil ? "nil" : "body"),
            ])
        }
    }

    private func pages(_ name: String, into writer: inout CodeWriter) {
        writer.line()
        writer.doc(["Every page of \(DocText.code(Identifiers.escaped(method.name))), following `nextPageToken`:",
                    "\(DocText.code("\(method.httpMethod) \(method.path)")) (\(DocText.code(method.id)))."] + scopesDoc)
        let declarations = method.required.map(\.declaration) + bodyParameter()
            + method.optional.filter { $0.discoveryName != "pageToken" }.map(\.declaration)
        writer.parameterBlock("public func \(Identifiers.escaped(name))", declarations, " -> Pages<\(method.responseType!)>") { writer in
            writer.enclosed("Pages { pageToken in") { writer in
                let arguments = method.required.map(argument) + (method.requestType == nil ? [] : ["body: body"])
                    + method.optional.map { $0.discoveryName == "pageToken" ? "\(Identifiers.escaped($0.name)): pageToken" : argument($0) }
                writer.call("try await self.\(Identifiers.escaped(method.name))", arguments)
            }
        }
    }

    private func mediaUpload(_ upload: UploadPlan, into writer: inout CodeWriter) {
        writer.line()
        var facts = ["\(DocText.code("\(method.httpMethod) \(upload.simplePath)")) with media (\(DocText.code(method.id)))."]
        if upload.resumablePath != upload.simplePath {
            facts.append("Resumable uploads go to \(DocText.code(upload.resumablePath)).")
        }
        if !upload.accept.isEmpty { facts.append("Accepts \(upload.accept.map(DocText.code).joined(separator: ", ")).") }
        if let maxSize = upload.maxSize { facts.append("At most \(maxSize).") }
        writer.doc(facts + scopesDoc)
        let body = method.requestType.map { ["body: \($0)? = nil"] } ?? []
        let extra = ["media: MediaSource", "uploadProtocol: UploadProtocol = .resumable(chunkSize: 8 << 20)",
                     Self.progressParameter]
        let returns = method.responseType ?? "Empty"
        if method.responseType == nil || method.responseIsEmpty { writer.line("@discardableResult") }
        writer.parameterBlock("public func \(Identifiers.escaped(method.name))", parameters(body: body) + extra,
                              " async throws -> \(returns)") { writer in
            let query = queryStatements(&writer)
            let path = uploadPath(upload, into: &writer)
            writer.call("return try await self.client.upload", [
                path, "pathParameters: " + pathParameters, "query: " + query,
                "metadata: " + (method.requestType == nil ? "nil" : "body"), "media: media",
                "protocol: uploadProtocol", "progress: progress",
            ])
        }
    }

    private func mediaDownload(_ name: String, into writer: inout CodeWriter) {
        writer.line()
        writer.doc(["\(DocText.code("\(method.httpMethod) \(method.path)")) with `alt=media` (\(DocText.code(method.id))).",
                    "The media is streamed to `sink`."] + scopesDoc)
        let extra = ["to sink: MediaSink", Self.progressParameter]
        writer.parameterBlock("public func \(Identifiers.escaped(name))", parameters(body: []) + extra, " async throws") { writer in
            let query = queryStatements(&writer)
            writer.call("try await self.client.download", [
                SwiftLiteral.string(method.httpMethod), SwiftLiteral.string(method.path),
                "pathParameters: " + pathParameters, "query: " + query, "to: sink", "progress: progress",
            ])
        }
    }

    // MARK: Pieces

    /// The scopes any one of which the method accepts, those under Google's prefix shortened.
    private var scopesDoc: [String] {
        guard !method.scopes.isEmpty else { return [] }
        let names = method.scopes.map { DocText.code(DocText.shortScope($0)) }
        return ["", "Scopes (any one): " + names.joined(separator: ", ") + "."]
    }

    private func bodyParameter() -> [String] {
        method.requestType.map { ["body: \($0)"] } ?? []
    }

    /// Required parameters, then the body (if any), then optional parameters.
    private func parameters(body: [String]) -> [String] {
        method.required.map(\.declaration) + body + method.optional.map(\.declaration)
    }

    private func argument(_ parameter: ParameterPlan) -> String {
        let name = Identifiers.escaped(parameter.name)
        return "\(name): \(name)"
    }

    /// `["bucket": bucket]`, or `[:]`.
    private var pathParameters: String {
        let entries = method.allParameters.filter { $0.location == .path }.map { parameter in
            SwiftLiteral.string(parameter.discoveryName) + ": " + pathValue(parameter)
        }
        return entries.isEmpty ? "[:]" : "[" + entries.joined(separator: ", ") + "]"
    }

    private func pathValue(_ parameter: ParameterPlan) -> String {
        let name = Identifiers.escaped(parameter.name)
        let element = parameter.isEnum ? "$0.rawValue" : parameter.elementType == "String" ? "$0" : "String($0)"
        if parameter.repeated { return "\(name).map { \(element) }.joined(separator: \",\")" }
        if parameter.isEnum { return name + ".rawValue" }
        return parameter.elementType == "String" ? name : "String(\(name))"
    }

    /// Writes the statements building the query, returning the expression to pass.
    private func queryStatements(_ writer: inout CodeWriter) -> String {
        let parameters = method.allParameters.filter { $0.location == .query }
        guard !parameters.isEmpty else { return "[]" }
        let query = method.queryVariable
        writer.line("var \(query): [QueryItem] = []")
        for parameter in parameters {
            writer.line("\(query).add(\(SwiftLiteral.string(parameter.discoveryName)), \(queryValue(parameter)))")
        }
        return query
    }

    private func queryValue(_ parameter: ParameterPlan) -> String {
        let name = Identifiers.escaped(parameter.name)
        guard parameter.isEnum else { return name }
        let chain = parameter.required ? "" : "?"
        return parameter.repeated ? "\(name)\(chain).map(\\.rawValue)" : "\(name)\(chain).rawValue"
    }

    /// The upload path literal, or a variable chosen by protocol when they differ.
    private func uploadPath(_ upload: UploadPlan, into writer: inout CodeWriter) -> String {
        guard upload.simplePath != upload.resumablePath else { return SwiftLiteral.string(upload.simplePath) }
        let path = method.pathVariable
        writer.line("let \(path): String")
        writer.line("if case .resumable = uploadProtocol {")
        writer.line("    \(path) = \(SwiftLiteral.string(upload.resumablePath))")
        writer.line("} else {")
        writer.line("    \(path) = \(SwiftLiteral.string(upload.simplePath))")
        writer.line("}")
        return path
    }
}

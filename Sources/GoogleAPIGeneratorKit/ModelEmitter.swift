/// Writes `Models.swift`: one declaration per planned model, nested types in extensions.
struct ModelEmitter {
    let plan: ModelPlan

    /// The file's text, after `header` (the generated-file banner).
    func emit(header: [String]) -> String {
        var writer = CodeWriter()
        header.forEach { writer.line($0) }
        writer.line("import GoogleAPICore")
        let topLevel = plan.declarations.indices.filter { plan.declarations[$0].parent == nil }
        for index in topLevel.sorted(by: { plan.declarations[$0].name < plan.declarations[$1].name }) {
            writer.line()
            declaration(index, into: &writer)
            nestedDeclarations(of: index, into: &writer)
        }
        if plan.declarations.contains(where: { $0.properties.contains { $0.boxedStorage != nil } }) {
            writer.line()
            IndirectBox.emit(into: &writer)
        }
        return writer.text
    }

    /// The types nested in `index`, each in an extension of its parent, depth first.
    private func nestedDeclarations(of index: Int, into writer: inout CodeWriter) {
        for child in plan.children(of: index) {
            writer.line()
            writer.block("extension \(plan.qualifiedName(index))") { writer in
                declaration(child, into: &writer)
            }
            nestedDeclarations(of: child, into: &writer)
        }
    }

    private func declaration(_ index: Int, into writer: inout CodeWriter) {
        let declaration = plan.declarations[index]
        switch declaration.kind {
        case .structure(let properties):
            structure(declaration, properties, into: &writer)
        case .enumeration(let members):
            EnumEmitter.emit(name: declaration.name, members: members,
                             doc: "Values of \(DocText.code(declaration.origin)); other values decode as they are.",
                             into: &writer)
        case .alias(let target):
            writer.doc(["The \(DocText.code(declaration.origin)) schema."])
            writer.line("public typealias \(declaration.name) = \(plan.spelling(target))")
        }
    }

    // MARK: Structs

    private func structure(_ declaration: ModelDeclaration, _ properties: [ModelProperty],
                           into writer: inout CodeWriter) {
        let kind = declaration.parent == nil ? "schema" : "object"
        writer.doc(["The \(DocText.code(declaration.origin)) \(kind)."])
        let conformances = "Codable, Hashable, Sendable" + (declaration.isPagedResponse ? ", PagedResponse" : "")
        writer.block("public struct \(declaration.name): \(conformances)") { writer in
            for property in properties { self.property(property, into: &writer) }
            if !properties.isEmpty { writer.line() }
            initializer(properties, into: &writer)
            if properties.contains(where: { $0.storageName != $0.jsonName }) {
                writer.line()
                codingKeys(properties, into: &writer)
            }
        }
    }

    private func property(_ property: ModelProperty, into writer: inout CodeWriter) {
        let facts = Self.facts(property)
        if !facts.isEmpty { writer.doc([facts]) }
        let name = Identifiers.escaped(property.name)
        let type = plan.spelling(property.type)
        guard let storage = property.boxedStorage else {
            writer.line("public var \(name): \(type)?")
            return
        }
        writer.block("public var \(name): \(type)?") { writer in
            writer.line("get { \(storage)?.value }")
            writer.line("set { \(storage) = newValue.map { Indirect($0) } }")
        }
        writer.line("private var \(storage): Indirect<\(type)>?")
    }

    /// `Read-only, format `google-duration`, JSON key `@type`.` — facts only, never prose.
    static func facts(_ property: ModelProperty) -> String {
        var facts: [String] = []
        if property.readOnly { facts.append("read-only") }
        if property.deprecated { facts.append("deprecated") }
        if let format = property.format { facts.append("format \(DocText.code(format))") }
        if property.name != property.jsonName { facts.append("JSON key \(DocText.code(property.jsonName))") }
        guard let first = facts.first else { return "" }
        facts[0] = first.prefix(1).uppercased() + first.dropFirst()
        return facts.joined(separator: ", ") + "."
    }

    private func initializer(_ properties: [ModelProperty], into writer: inout CodeWriter) {
        writer.doc(["A value with the given fields; the others are absent."])
        let parameters = properties.map { "\(Identifiers.escaped($0.name)): \(plan.spelling($0.type))? = nil" }
        if parameters.isEmpty {
            writer.line("public init() {}")
            return
        }
        writer.parameterBlock("public init", parameters, "") { writer in
            for property in properties {
                let name = Identifiers.escaped(property.name)
                if let storage = property.boxedStorage {
                    writer.line("self.\(storage) = \(name).map { Indirect($0) }")
                } else {
                    writer.line("self.\(name) = \(name)")
                }
            }
        }
    }

    private func codingKeys(_ properties: [ModelProperty], into writer: inout CodeWriter) {
        writer.block("enum CodingKeys: String, CodingKey") { writer in
            for property in properties {
                let key = Identifiers.escaped(property.storageName)
                let raw = property.storageName == property.jsonName ? "" : " = " + SwiftLiteral.string(property.jsonName)
                writer.line("case \(key)\(raw)")
            }
        }
    }
}

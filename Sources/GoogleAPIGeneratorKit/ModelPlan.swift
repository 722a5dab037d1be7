/// Every Swift type the models file declares, named and with cycles already broken.
struct ModelPlan: Sendable {
    /// Declarations in a stable order; a nested declaration comes after its parent.
    var declarations: [ModelDeclaration] = []
    /// Schema key → the type a `$ref` to it means.
    var schemaTypes: [String: TypeExpression] = [:]

    /// The qualified Swift name of a declaration, e.g. `Bucket.Lifecycle.Rule`.
    func qualifiedName(_ index: Int) -> String {
        let declaration = declarations[index]
        guard let parent = declaration.parent else { return declaration.name }
        return qualifiedName(parent) + "." + declaration.name
    }

    /// How `type` is written in Swift.
    func spelling(_ type: TypeExpression) -> String {
        switch type {
        case .builtin(let name): name
        case .declared(let index): qualifiedName(index)
        case .array(let element): "[\(spelling(element))]"
        case .dictionary(let value): "[String: \(spelling(value))]"
        }
    }

    /// The top-level declaration `index` is nested in (itself when top-level).
    func root(of index: Int) -> Int {
        declarations[index].parent.map(root(of:)) ?? index
    }

    /// The declarations directly nested in `index`.
    func children(of index: Int) -> [Int] {
        declarations.indices.filter { declarations[$0].parent == index }
    }

    /// True when `type` is a struct that conforms to `PagedResponse`.
    func isPagedResponse(_ type: TypeExpression) -> Bool {
        guard case .declared(let index) = type else { return false }
        return declarations[index].isPagedResponse
    }
}

/// One generated type.
struct ModelDeclaration: Sendable {
    /// What the declaration is.
    enum Kind: Sendable {
        case structure([ModelProperty])
        case enumeration([EnumMember])
        case alias(TypeExpression)
    }

    /// The simple Swift name (final once planning is done).
    var name: String
    /// The name it was asked for, before collisions were resolved.
    var desiredName: String
    /// The declaration this one is nested in.
    var parent: Int?
    /// Where it comes from, for its doc comment: `Bucket`, `Bucket.lifecycle.rule[]`.
    var origin: String
    var kind: Kind
    /// Conforms to `PagedResponse` (a top-level struct with a `nextPageToken` string).
    var isPagedResponse = false

    /// The stored properties of a struct (none for enums and aliases).
    var properties: [ModelProperty] {
        if case .structure(let properties) = kind { properties } else { [] }
    }
}

/// A stored property of a model struct.
struct ModelProperty: Sendable {
    /// The JSON key.
    var jsonName: String
    /// The Swift name, unescaped.
    var name: String
    var type: TypeExpression
    /// For a property kept in an `Indirect` box: the private stored name (e.g. `_parent`).
    var boxedStorage: String?
    var readOnly: Bool
    var deprecated: Bool
    /// A string format that does not show in the Swift type (`google-duration`, `date`, …).
    var format: String?

    /// The name of the stored property and coding key.
    var storageName: String { boxedStorage ?? name }
}

/// A known value of an enum struct.
struct EnumMember: Sendable, Hashable {
    /// The Swift static property name, unescaped.
    var name: String
    var rawValue: String
}

/// Builds the `ModelPlan` of a document's schemas: one declaration per schema and per inline
/// object or enum, Swift names without collisions, and cycles broken (see `RecursionBreaker`).
struct ModelPlanner {
    /// Where a new inline declaration goes.
    private enum Placement {
        /// Nested in a struct.
        case nested(in: Int)
        /// At the top level, its name prefixed (inline types of a top-level alias).
        case topLevel(prefix: String)
    }

    private var plan = ModelPlan()
    private var topLevel: NameScope
    private let reservedTypeNames: Set<String>

    /// Plans `schemas`, avoiding `reservedTypeNames` (plus `ReservedTypeNames.all`).
    static func plan(schemas: [String: DiscoverySchema], reservedTypeNames: Set<String>) throws -> ModelPlan {
        var planner = ModelPlanner(reservedTypeNames: reservedTypeNames.union(ReservedTypeNames.all))
        let keys = schemas.keys.sorted()
        for key in keys { planner.declare(key, schemas[key]!) }
        for key in keys { try planner.define(key, schemas[key]!) }
        planner.nameNestedDeclarations()
        planner.markPagedResponses()
        return RecursionBreaker.breakingCycles(in: planner.plan)
    }

    private init(reservedTypeNames: Set<String>) {
        self.reservedTypeNames = reservedTypeNames
        topLevel = NameScope(reserved: reservedTypeNames)
    }

    // MARK: Top-level schemas

    /// Names a schema so that `$ref`s to it resolve before any schema is defined.
    private mutating func declare(_ key: String, _ schema: DiscoverySchema) {
        if key == "Empty" && schema.isEmptyObject {
            plan.schemaTypes[key] = .builtin("Empty")  // GoogleAPICore.Empty
            return
        }
        let base = Identifiers.upperCamel(key)
        let name = topLevel.claimType(base, alternative: base + "Model")
        plan.declarations.append(ModelDeclaration(name: name, desiredName: name, parent: nil, origin: key,
                                                  kind: .alias(.builtin("GoogleJSONValue"))))
        plan.schemaTypes[key] = .declared(plan.declarations.count - 1)
    }

    /// Fills in a declared schema: a struct for objects, an alias for everything else.
    private mutating func define(_ key: String, _ schema: DiscoverySchema) throws {
        guard case .declared(let index) = plan.schemaTypes[key] else { return }
        if Self.isStruct(schema) {
            plan.declarations[index].kind = .structure(try properties(of: schema, in: index, origin: key))
        } else {
            let prefix = plan.declarations[index].name
            let suffix = schema.type == "array" ? "Item" : "Value"
            let type = try typeOf(schema, placement: .topLevel(prefix: prefix), desiredName: suffix, origin: key)
            plan.declarations[index].kind = .alias(type)
        }
    }

    /// Objects with properties, and empty objects, become structs; maps and scalars aliases.
    private static func isStruct(_ schema: DiscoverySchema) -> Bool {
        guard schema.ref == nil, schema.type == "object" || schema.properties != nil else { return false }
        return !(schema.properties ?? [:]).isEmpty || schema.additionalProperties == nil
    }

    // MARK: Properties and types

    /// The properties of an object schema, sorted by JSON key.
    private mutating func properties(of schema: DiscoverySchema, in owner: Int, origin: String) throws -> [ModelProperty] {
        var members = NameScope(reserved: ["CodingKeys", "Indirect"])
        let keys = (schema.properties ?? [:]).keys.sorted()
        let names = members.claimMembers(for: keys, derive: Identifiers.lowerCamel)
        var result: [ModelProperty] = []
        for key in keys {
            let property = schema.properties![key]!
            let name = names[key]!
            let type = try typeOf(property, placement: .nested(in: owner), desiredName: Identifiers.upperCamel(key),
                                  origin: origin + "." + key)
            result.append(ModelProperty(jsonName: key, name: name, type: type, boxedStorage: nil,
                                        readOnly: property.readOnly ?? false, deprecated: property.deprecated ?? false,
                                        format: Self.hiddenFormat(property, type)))
        }
        return result
    }

    /// The Swift type of a schema, declaring inline objects and enums where it is used.
    private mutating func typeOf(_ schema: DiscoverySchema, placement: Placement, desiredName: String,
                                 origin: String) throws -> TypeExpression {
        if let ref = schema.ref {
            guard let type = plan.schemaTypes[ref] else { throw GeneratorError.unknownSchema(ref, usedBy: origin) }
            return type
        }
        if schema.type == "string", let values = schema.enum, !values.isEmpty {
            return .declared(declareEnum(values, placement: placement, desiredName: desiredName, origin: origin))
        }
        if let scalar = ScalarTypes.modelType(type: schema.type, format: schema.format) {
            return .builtin(scalar)
        }
        switch schema.type {
        case "array":
            guard let items = schema.items else { return .array(.builtin("GoogleJSONValue")) }
            return .array(try typeOf(items, placement: placement, desiredName: desiredName, origin: origin + "[]"))
        case "object", nil:
            return try objectType(schema, placement: placement, desiredName: desiredName, origin: origin)
        default:
            return .builtin("GoogleJSONValue")
        }
    }

    /// An inline object: a nested struct when it has properties, else a map.
    private mutating func objectType(_ schema: DiscoverySchema, placement: Placement, desiredName: String,
                                     origin: String) throws -> TypeExpression {
        if !(schema.properties ?? [:]).isEmpty {
            let index = declare(placement: placement, desiredName: desiredName, origin: origin,
                                kind: .structure([]))
            plan.declarations[index].kind = .structure(try properties(of: schema, in: index, origin: origin))
            return .declared(index)
        }
        if let values = schema.additionalProperties {
            return .dictionary(try typeOf(values, placement: placement, desiredName: desiredName + "Value",
                                          origin: origin + "{}"))
        }
        return schema.type == "object" ? .dictionary(.builtin("GoogleJSONValue")) : .builtin("GoogleJSONValue")
    }

    /// An enum struct with one static member per value, in the document's order.
    private mutating func declareEnum(_ values: [String], placement: Placement, desiredName: String,
                                      origin: String) -> Int {
        var members = NameScope(reserved: ["init", "rawValue"])
        var seen = Set<String>()
        let cases = values.filter { seen.insert($0).inserted }.map { value in
            EnumMember(name: members.claimMember(Identifiers.enumMember(value)), rawValue: value)
        }
        return declare(placement: placement, desiredName: desiredName, origin: origin, kind: .enumeration(cases))
    }

    /// Appends a declaration; top-level ones are named now, nested ones once all are known.
    private mutating func declare(placement: Placement, desiredName: String, origin: String,
                                  kind: ModelDeclaration.Kind) -> Int {
        switch placement {
        case .nested(let parent):
            plan.declarations.append(ModelDeclaration(name: desiredName, desiredName: desiredName, parent: parent,
                                                      origin: origin, kind: kind))
        case .topLevel(let prefix):
            let name = topLevel.claim(prefix + desiredName)
            plan.declarations.append(ModelDeclaration(name: name, desiredName: name, parent: nil,
                                                      origin: origin, kind: kind))
        }
        return plan.declarations.count - 1
    }

    /// The format of a property whose Swift type is a plain `String` (e.g. `google-duration`).
    private static func hiddenFormat(_ schema: DiscoverySchema, _ type: TypeExpression) -> String? {
        type == .builtin("String") ? schema.format : nil
    }

    // MARK: Names of nested declarations

    /// Names nested types so that none hides a type the code around it refers to: not a
    /// top-level type used anywhere inside the parent, not an enclosing type, not a member.
    private mutating func nameNestedDeclarations() {
        let children = Dictionary(grouping: plan.declarations.indices.filter { plan.declarations[$0].parent != nil },
                                  by: { plan.declarations[$0].parent! })
        for parent in plan.declarations.indices {
            guard let nested = children[parent] else { continue }
            var scope = NameScope(reserved: reservedTypeNames)
            subtreeReferences(parent, children: children).forEach { scope.reserve($0) }
            enclosingNames(parent).forEach { scope.reserve($0) }
            plan.declarations[parent].properties.forEach { scope.reserve($0.name) }
            for child in nested {
                let desired = plan.declarations[child].desiredName
                plan.declarations[child].name = scope.claimType(desired, alternative: plan.declarations[parent].name + desired)
            }
        }
    }

    /// Names of the top-level types that code inside `index` (and its nested types) spells.
    private func subtreeReferences(_ index: Int, children: [Int: [Int]]) -> Set<String> {
        var names = Set<String>()
        var pending = [index]
        while let next = pending.popLast() {
            let declaration = plan.declarations[next]
            var types = declaration.properties.map(\.type)
            if case .alias(let target) = declaration.kind { types.append(target) }
            for referenced in types.flatMap(\.declarations) {
                names.insert(plan.declarations[plan.root(of: referenced)].name)
            }
            pending += children[next] ?? []
        }
        return names
    }

    /// The names of `index` and the types around it.
    private func enclosingNames(_ index: Int) -> [String] {
        var names: [String] = []
        var current: Int? = index
        while let next = current {
            names.append(plan.declarations[next].name)
            current = plan.declarations[next].parent
        }
        return names
    }

    // MARK: Paging

    /// Top-level structs with a `nextPageToken` string conform to `PagedResponse`.
    private mutating func markPagedResponses() {
        for index in plan.declarations.indices where plan.declarations[index].parent == nil {
            plan.declarations[index].isPagedResponse = plan.declarations[index].properties.contains {
                $0.jsonName == "nextPageToken" && $0.name == "nextPageToken" && $0.type == .builtin("String")
            }
        }
    }
}

/// Builds the `ServicePlan`: resource structs, their methods, parameters and enum types.
struct ServicePlanner {
    let models: ModelPlan
    /// Names no resource or enum type may take (reserved and all top-level model types).
    let unavailableTypeNames: Set<String>

    /// Labels generated functions use besides the parameters.
    static let extraLabels: Set<String> = ["body", "media", "progress", "sink", "to", "uploadProtocol"]

    /// The plan of the client `clientName` for `document`.
    static func plan(document: DiscoveryDocument, models: ModelPlan, clientName: String) throws -> ServicePlan {
        let topLevelNames = models.declarations.filter { $0.parent == nil }.map(\.name)
        let planner = ServicePlanner(models: models,
                                     unavailableTypeNames: ReservedTypeNames.all.union(topLevelNames).union([clientName]))
        let root = try planner.resource(path: [], propertyName: "", qualifiedTypeName: clientName,
                                        methods: document.methods ?? [:], resources: document.resources ?? [:],
                                        reservedMembers: ["client", "init", "service", "shutdown"],
                                        enclosingTypes: [clientName])
        return ServicePlan(root: root)
    }

    // MARK: Resources

    private func resource(path: [String], propertyName: String, qualifiedTypeName: String,
                          methods: [String: DiscoveryMethod], resources: [String: DiscoveryResource],
                          reservedMembers: Set<String>, enclosingTypes: [String]) throws -> ResourcePlan {
        var members = NameScope(reserved: reservedMembers)
        var types = NameScope(reserved: unavailableTypeNames.union(enclosingTypes))
        let methodKeys = methods.keys.sorted()
        let methodNames = methodKeys.map { members.claimMember(Identifiers.lowerCamel($0)) }
        var children: [(key: String, property: String, type: String)] = []
        for key in resources.keys.sorted() {
            let base = Identifiers.upperCamel(key) + "Resource"
            children.append((key, members.claimMember(Identifiers.lowerCamel(key)), types.claim(base)))
        }
        let enums = Self.parameterEnums(methods, types: &types)
        var plans: [MethodPlan] = []
        for (key, name) in zip(methodKeys, methodNames) {
            plans.append(try method(key, methods[key]!, name: name, enums: enums))
        }
        for index in plans.indices { Self.nameDerivedFunctions(&plans[index], members: &members) }
        let childPlans = try children.map { child in
            try resource(path: path + [child.key], propertyName: child.property,
                         qualifiedTypeName: qualifiedTypeName + "." + child.type,
                         methods: resources[child.key]!.methods ?? [:], resources: resources[child.key]!.resources ?? [:],
                         reservedMembers: ["client", "init"], enclosingTypes: enclosingTypes + [child.type])
        }
        return ResourcePlan(path: path, propertyName: propertyName, qualifiedTypeName: qualifiedTypeName,
                            enums: enums.types, methods: plans, children: childPlans)
    }

    /// `<name>Pages` and `<name>Media`, claimed after every method and resource has its name.
    private static func nameDerivedFunctions(_ plan: inout MethodPlan, members: inout NameScope) {
        if plan.pagesName != nil { plan.pagesName = members.claim(plan.name + "Pages") }
        if plan.mediaDownloadName != nil { plan.mediaDownloadName = members.claim(plan.name + "Media") }
    }

    // MARK: Enums of parameters

    /// The enum types of a resource's parameters and which type each (method, parameter) uses.
    struct EnumTable {
        var types: [ParameterEnum] = []
        /// "method parameter" → type name.
        var typeFor: [String: String] = [:]

        static func key(_ method: String, _ parameter: String) -> String { method + " " + parameter }
    }

    /// One type per parameter name when every method agrees on its values, else one per method.
    private static func parameterEnums(_ methods: [String: DiscoveryMethod], types: inout NameScope) -> EnumTable {
        var valuesByParameter: [String: [(method: String, values: [String])]] = [:]
        for key in methods.keys.sorted() {
            for (name, parameter) in methods[key]!.parameters ?? [:] {
                guard parameter.type == "string", let values = parameter.enum, !values.isEmpty else { continue }
                valuesByParameter[name, default: []].append((key, values))
            }
        }
        var table = EnumTable()
        for parameter in valuesByParameter.keys.sorted() {
            let uses = valuesByParameter[parameter]!
            let shared = Set(uses.map(\.values)).count == 1
            let groups = shared ? [(prefix: "", uses: uses)] : uses.map { (prefix: Identifiers.upperCamel($0.method), uses: [$0]) }
            for group in groups {
                let base = group.prefix + Identifiers.upperCamel(parameter)
                let name = types.claimType(base, alternative: base + "Parameter")
                table.types.append(ParameterEnum(name: name, parameter: parameter, methods: shared ? [] : group.uses.map(\.method),
                                                 members: enumMembers(group.uses[0].values)))
                for use in group.uses { table.typeFor[EnumTable.key(use.method, parameter)] = name }
            }
        }
        return table
    }

    private static func enumMembers(_ values: [String]) -> [EnumMember] {
        var members = NameScope(reserved: ["init", "rawValue"])
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }.map {
            EnumMember(name: members.claimMember(Identifiers.enumMember($0)), rawValue: $0)
        }
    }

    // MARK: Methods

    private func method(_ key: String, _ method: DiscoveryMethod, name: String, enums: EnumTable) throws -> MethodPlan {
        var scope = NameScope(reserved: Self.extraLabels)
        let parameters = method.parameters ?? [:]
        let names = scope.claimMembers(for: parameters.keys.sorted(), derive: Identifiers.lowerCamel)
        let plans = Dictionary(uniqueKeysWithValues: parameters.map { discoveryName, parameter in
            (discoveryName, Self.parameter(discoveryName, parameter, name: names[discoveryName]!,
                                           enumType: enums.typeFor[EnumTable.key(key, discoveryName)]))
        })
        let (requiredNames, optionalNames) = Self.parameterOrder(method)
        let required = requiredNames.map { plans[$0]! }
        let optional = optionalNames.map { plans[$0]! }
        let id = method.id ?? key
        let response = try method.response.map { try type(of: $0, usedBy: id) }
        var result = MethodPlan(
            key: key, name: name, id: id, httpMethod: method.httpMethod, path: method.path,
            scopes: method.scopes ?? [], required: required, optional: optional,
            requestType: try method.request.map { models.spelling(try type(of: $0, usedBy: id)) },
            responseType: response.map(models.spelling), responseIsEmpty: response == .builtin("Empty"),
            pagesName: nil, mediaDownloadName: nil, upload: Self.upload(method),
            queryVariable: scope.claim("query"), pathVariable: scope.claim("path"))
        let pageToken = optional.first { $0.discoveryName == "pageToken" && $0.elementType == "String" && !$0.repeated }
        if pageToken != nil, let response, models.isPagedResponse(response) { result.pagesName = name + "Pages" }
        if method.supportsMediaDownload == true { result.mediaDownloadName = name + "Media" }
        return result
    }

    /// Required parameters in `parameterOrder` (then any others that are required, sorted), and
    /// the optional ones sorted.
    static func parameterOrder(_ method: DiscoveryMethod) -> (required: [String], optional: [String]) {
        let parameters = method.parameters ?? [:]
        let order = (method.parameterOrder ?? []).filter { parameters[$0] != nil }
        let required = order + parameters.keys.filter { parameters[$0]!.isRequired && !order.contains($0) }.sorted()
        return (required, parameters.keys.filter { !required.contains($0) }.sorted())
    }

    /// The type of a request or response: its schema's, or any JSON when it names none.
    private func type(of reference: DiscoveryMethod.Reference, usedBy method: String) throws -> TypeExpression {
        guard let name = reference.ref else { return .builtin("GoogleJSONValue") }
        guard let type = models.schemaTypes[name] else { throw GeneratorError.unknownSchema(name, usedBy: method) }
        return type
    }

    private static func parameter(_ discoveryName: String, _ parameter: DiscoveryParameter, name: String,
                                  enumType: String?) -> ParameterPlan {
        ParameterPlan(discoveryName: discoveryName, name: name,
                      elementType: enumType ?? ScalarTypes.parameterType(type: parameter.type, format: parameter.format),
                      isEnum: enumType != nil, repeated: parameter.repeated ?? false,
                      required: parameter.isRequired, location: parameter.location == "path" ? .path : .query)
    }

    private static func upload(_ method: DiscoveryMethod) -> UploadPlan? {
        guard method.supportsMediaUpload == true, let media = method.mediaUpload else { return nil }
        let simple = media.protocols?.simple?.path
        let resumable = media.protocols?.resumable?.path
        guard let any = simple ?? resumable else { return nil }
        return UploadPlan(simplePath: simple ?? any, resumablePath: resumable ?? any, maxSize: media.maxSize,
                          accept: media.accept ?? [])
    }
}

extension DiscoveryParameter {
    /// Path parameters are always required.
    var isRequired: Bool { required == true || location == "path" }
}

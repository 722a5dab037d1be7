/// Makes recursive schemas representable as Swift structs.
///
/// A struct cannot contain itself by value, directly (`A.parent: A?`) or through others
/// (`A.b: B?`, `B.a: A?`). Arrays and dictionaries already store their elements out of line,
/// so only properties holding a struct by value matter. Every such property whose struct is in
/// the same strongly connected component as its owner is stored in an `Indirect` box; its public
/// property stays `T?`. Choosing by component (not by search order) keeps the choice stable.
enum RecursionBreaker {
    /// `plan` with `boxedStorage` set on the properties that close a cycle.
    static func breakingCycles(in plan: ModelPlan) -> ModelPlan {
        let edges = byValueEdges(plan)
        let component = StronglyConnectedComponents.label(nodeCount: plan.declarations.count, edges: edges)
        var result = plan
        for owner in plan.declarations.indices {
            guard case .structure(var properties) = plan.declarations[owner].kind else { continue }
            var members = NameScope(reserved: Set(properties.map(\.name)).union(["CodingKeys"]))
            for index in properties.indices {
                guard let target = structHeldByValue(properties[index].type, plan),
                      component[target] == component[owner] else { continue }
                properties[index].boxedStorage = members.claim("_" + properties[index].name)
            }
            result.declarations[owner].kind = .structure(properties)
        }
        return result
    }

    /// Owner → struct held by value, for every struct property.
    private static func byValueEdges(_ plan: ModelPlan) -> [[Int]] {
        plan.declarations.map { declaration in
            declaration.properties.compactMap { structHeldByValue($0.type, plan) }
        }
    }

    /// The struct a property of this type stores inline, following aliases; nil for
    /// scalars, enums, arrays and dictionaries.
    static func structHeldByValue(_ type: TypeExpression, _ plan: ModelPlan) -> Int? {
        var current = type
        var seen = Set<Int>()
        while case .declared(let index) = current, seen.insert(index).inserted {
            switch plan.declarations[index].kind {
            case .structure: return index
            case .enumeration: return nil
            case .alias(let target): current = target
            }
        }
        return nil
    }
}

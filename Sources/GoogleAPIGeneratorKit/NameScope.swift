/// Hands out unique names within one Swift scope, deterministically: a name that is taken or
/// reserved gets `_` appended until it is free.
struct NameScope {
    private var taken: Set<String>

    /// A scope where `reserved` names are never handed out.
    init(reserved: Set<String> = []) {
        taken = reserved
    }

    /// A free name based on `base`, now taken.
    mutating func claim(_ base: String) -> String {
        var name = base
        while taken.contains(name) { name += "_" }
        taken.insert(name)
        return name
    }

    /// A free type name: `base`, else `alternative`, else underscores appended to it.
    mutating func claimType(_ base: String, alternative: String) -> String {
        claim(isTaken(base) ? alternative : base)
    }

    /// A free member name: names that cannot be members (`self`, `init`, …) are suffixed first.
    mutating func claimMember(_ base: String) -> String {
        claim(Identifiers.unusableMemberNames.contains(base) ? base + "_" : base)
    }

    /// Member names for `keys` (e.g. JSON keys): keys that already are their own Swift name
    /// claim first, so that `type` keeps `type` even when `@type` sorts before it.
    mutating func claimMembers(for keys: [String], derive: (String) -> String) -> [String: String] {
        var names: [String: String] = [:]
        for key in keys where derive(key) == key { names[key] = claimMember(key) }
        for key in keys where names[key] == nil { names[key] = claimMember(derive(key)) }
        return names
    }

    /// Marks `name` as taken without handing it out.
    mutating func reserve(_ name: String) {
        taken.insert(name)
    }

    /// True when `name` is taken or reserved.
    func isTaken(_ name: String) -> Bool {
        taken.contains(name)
    }
}

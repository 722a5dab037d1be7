/// Turning Discovery names (JSON keys, enum values, resource keys) into Swift identifiers.
enum Identifiers {
    /// Words that must be backticked to be used as a name. Backticks are harmless on other
    /// names, so contextual keywords are included too.
    static let keywords: Set<String> = [
        "Any", "Protocol", "Self", "Type", "actor", "any", "as", "associatedtype", "async", "await",
        "borrowing", "break", "case", "catch", "class", "consume", "consuming", "continue", "copy",
        "default", "defer", "deinit", "discard", "do", "else", "enum", "extension", "fallthrough",
        "false", "fileprivate", "for", "func", "guard", "if", "import", "in", "indirect", "init",
        "inout", "internal", "is", "let", "macro", "nil", "nonisolated", "open", "operator",
        "package", "precedencegroup", "private", "protocol", "public", "repeat", "rethrows",
        "return", "self", "some", "static", "struct", "subscript", "super", "switch", "throw",
        "throws", "true", "try", "typealias", "var", "where", "while",
    ]

    /// Names that even with backticks would mean something else after a dot (`x.self`,
    /// `x.init`, `T.Type`) or clash with what every generated type has; they get a `_` suffix.
    static let unusableMemberNames: Set<String> = [
        "_", "Protocol", "Self", "Type", "deinit", "hashValue", "init", "rawValue", "self", "subscript",
    ]

    /// The words of a name: runs of letters and digits; everything else separates.
    static func words(_ name: String) -> [String] {
        name.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) }).map(String.init)
    }

    /// `UpperCamelCase`: each word with its first letter uppercased, the rest kept
    /// (`cloudresourcemanager` → `Cloudresourcemanager`, `hmacKeys` → `HmacKeys`).
    static func upperCamel(_ name: String) -> String {
        let joined = words(name).map(capitalizedFirst).joined()
        guard let first = joined.first else { return "Unnamed" }
        return first.isNumber ? "_" + joined : joined
    }

    /// `lowerCamelCase` for members. A name that already is a plain identifier is kept as it is,
    /// so that it matches its JSON key; others are joined from their words.
    static func lowerCamel(_ name: String) -> String {
        if isPlainIdentifier(name) { return name }
        let parts = words(name)
        guard let head = parts.first else { return "unnamed" }
        let joined = lowercasedFirst(head) + parts.dropFirst().map(capitalizedFirst).joined()
        return joined.first!.isNumber ? "_" + joined : joined
    }

    /// A member name for an enum value: `STATE_UNSPECIFIED` → `stateUnspecified`,
    /// `projectPrivate` → `projectPrivate`, `RSA_SIGN_PSS_2048_SHA256` → `rsaSignPss2048Sha256`.
    static func enumMember(_ rawValue: String) -> String {
        let parts = words(rawValue).map { word in isUppercaseWord(word) ? word.lowercased() : word }
        guard let head = parts.first else { return "empty" }
        let joined = lowercasedLeadingCapitals(head) + parts.dropFirst().map(capitalizedFirst).joined()
        return joined.first!.isNumber ? "_" + joined : joined
    }

    /// The form of `name` usable in a declaration or expression: backticked when a keyword.
    static func escaped(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// True when `name` is letters, digits and underscores, not starting with a digit.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    private static func isUppercaseWord(_ word: String) -> Bool {
        word.contains(where: \.isLetter) && !word.contains(where: \.isLowercase)
    }

    private static func capitalizedFirst(_ word: String) -> String {
        word.prefix(1).uppercased() + word.dropFirst()
    }

    private static func lowercasedFirst(_ word: String) -> String {
        word.prefix(1).lowercased() + word.dropFirst()
    }

    /// `URLPath` → `urlPath`, `Foo` → `foo`: the leading capitals, except one that starts the next word.
    private static func lowercasedLeadingCapitals(_ word: String) -> String {
        let characters = Array(word)
        var end = 0
        while end < characters.count, characters[end].isUppercase { end += 1 }
        if end > 1, end < characters.count, characters[end].isLowercase { end -= 1 }
        return String(characters[..<end]).lowercased() + String(characters[end...])
    }
}

/// Writes enum structs: a `RawRepresentable` string with static members, so that values a
/// newer API version adds still decode (and encode back unchanged).
enum EnumEmitter {
    static func emit(name: String, members: [EnumMember], doc: String, into writer: inout CodeWriter) {
        writer.doc([doc])
        writer.block("public struct \(name): RawRepresentable, Codable, Hashable, Sendable") { writer in
            writer.line("public let rawValue: String")
            writer.line()
            writer.line("public init(rawValue: String) { self.rawValue = rawValue }")
            if !members.isEmpty { writer.line() }
            for member in members {
                writer.line("public static let \(Identifiers.escaped(member.name)) = Self(rawValue: \(SwiftLiteral.string(member.rawValue)))")
            }
        }
    }
}

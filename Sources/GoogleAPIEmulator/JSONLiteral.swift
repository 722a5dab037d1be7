/// JSON written as a Swift literal, for the files and small answers the emulator makes.
enum JSONLiteral: Encodable, Sendable, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral,
                  ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    case object([String: JSONLiteral])
    case array([JSONLiteral])
    case string(String)
    case integer(Int)
    case bool(Bool)

    init(dictionaryLiteral elements: (String, JSONLiteral)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    init(arrayLiteral elements: JSONLiteral...) { self = .array(elements) }
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .integer(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .object(let members): try container.encode(members)
        case .array(let items): try container.encode(items)
        case .string(let text): try container.encode(text)
        case .integer(let number): try container.encode(number)
        case .bool(let flag): try container.encode(flag)
        }
    }
}

/// The box that stores a recursive property out of line (emitted once per module, when needed).
enum IndirectBox {
    static func emit(into writer: inout CodeWriter) {
        writer.doc(["Stores a value out of line, so that a struct can hold a value of its own type.",
                    "Encodes and decodes as the value itself."])
        writer.block("final class Indirect<Value: Codable & Hashable & Sendable>: Codable, Hashable, Sendable") { writer in
            writer.line("let value: Value")
            writer.line()
            writer.line("init(_ value: Value) { self.value = value }")
            writer.line()
            writer.line("init(from decoder: any Decoder) throws { value = try Value(from: decoder) }")
            writer.line()
            writer.line("func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }")
            writer.line()
            writer.line("static func == (lhs: Indirect, rhs: Indirect) -> Bool { lhs.value == rhs.value }")
            writer.line()
            writer.line("func hash(into hasher: inout Hasher) { hasher.combine(value) }")
        }
    }
}

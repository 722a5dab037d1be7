/// An int64 field: read from a JSON string or number, written as a string (proto3 JSON mapping).
struct FlexibleInt64: Codable, Sendable, Equatable {
    /// The number.
    var value: Int64

    /// Wraps `value`.
    init(_ value: Int64) { self.value = value }

    /// Accepts `123` and `"123"`.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
            return
        }
        let text = try container.decode(String.self)
        guard let number = Int64(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not an int64.")
        }
        value = number
    }

    /// Writes `"123"`.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

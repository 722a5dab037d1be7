import FoundationEssentials

/// An `int64` field: Google sends it as a JSON string ("123"); a number is accepted too.
public typealias GoogleInt64 = GoogleInteger<Int64>
/// A `uint64` field, sent as a JSON string like `int64`.
public typealias GoogleUInt64 = GoogleInteger<UInt64>

/// A 64-bit integer that JSON carries as a string (JavaScript numbers cannot hold it exactly).
public struct GoogleInteger<Value: FixedWidthInteger & Codable & Sendable>: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The value.
    public var value: Value
    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
    public var description: String { String(value) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard let value = Value(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a \(Value.self)")
            }
            self.value = value
        } else {
            value = try container.decode(Value.self)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(value))
    }
}

/// `int64` fields take literals (`size: 42`).
extension GoogleInteger: ExpressibleByIntegerLiteral where Value == Int64 {
    public init(integerLiteral value: Int64) { self.value = value }
}

/// A `format: byte` field: base64 in JSON (standard or URL-safe alphabet accepted).
public struct GoogleBytes: Codable, Sendable, Hashable {
    /// The bytes.
    public var bytes: [UInt8]
    /// Wraps `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        var text = try container.decode(String.self).replacing("-", with: "+").replacing("_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not base64")
        }
        bytes = Array(data)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Data(bytes).base64EncodedString())
    }
}

/// A `format: date-time` field: an RFC 3339 timestamp, with or without fractional seconds.
public struct GoogleTimestamp: Codable, Sendable, Hashable {
    /// The RFC 3339 text, exactly as the API sent it: sent back unchanged, so nanoseconds and the
    /// offset survive a read-modify-write (a `Date` keeps about a microsecond).
    public let rfc3339: String
    /// The instant, to `Date`'s precision.
    public let date: Date

    /// The instant `date`, written with millisecond precision in UTC.
    public init(_ date: Date) {
        self.date = date
        rfc3339 = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                ?? (try? Date.ISO8601FormatStyle().parse(text)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not an RFC 3339 timestamp")
        }
        self.date = date
        rfc3339 = text
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }

    /// Equal when the texts are: two spellings of one instant differ, as they would on the wire.
    public static func == (lhs: GoogleTimestamp, rhs: GoogleTimestamp) -> Bool { lhs.rfc3339 == rhs.rfc3339 }
    public func hash(into hasher: inout Hasher) { hasher.combine(rfc3339) }
}

/// A field of `type: any`: whatever JSON the API sends.
public enum GoogleJSONValue: Codable, Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([GoogleJSONValue])
    case object([String: GoogleJSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([GoogleJSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: GoogleJSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// A body or response with no fields (`{}`).
public struct Empty: Codable, Sendable, Hashable {
    /// The empty value.
    public init() {}
}

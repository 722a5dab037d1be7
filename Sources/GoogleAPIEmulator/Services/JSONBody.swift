import FoundationEssentials

/// Decodes request bodies; an empty body reads as `{}`.
enum JSONBody {
    /// The body decoded as `T`, or a 400 INVALID_ARGUMENT (reason "parseError") saying what was wrong.
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws(ServiceError) -> T {
        let isBlank = body.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let bytes = isBlank ? Array("{}".utf8) : body
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw .invalidArgument("Invalid JSON payload received. \(describe(error))", reason: "parseError")
        }
    }

    /// A short account of a decoding failure: where and what.
    private static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "Not JSON." }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required."
        @unknown default:
            return "Not the expected shape."
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "body" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// The empty JSON object `{}` that Google returns for `google.protobuf.Empty`.
struct EmptyJSON: Codable, Sendable {}

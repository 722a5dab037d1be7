import MTLS
import FoundationEssentials
import Testing

@testable import GoogleAPIEmulator

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let current: Locked<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Locked(start)
    }

    /// The closure services take as their clock.
    var now: @Sendable () -> Date {
        { self.current.withLock { $0 } }
    }

    func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// Sends a request and requires an answer from the service.
func send(
    _ service: some APIService, _ method: String, _ path: String, query: [String: String] = [:],
    headers: [String: String] = [:], body: [UInt8] = []
) async throws -> APIResponse {
    let request = APIRequest(
        method: method, path: path, query: query.mapValues { [$0] }, headers: headers, body: body)
    return try #require(await service.handle(request))
}

/// Sends a request with a JSON (or any text) body.
func send(
    _ service: some APIService, _ method: String, _ path: String, query: [String: String] = [:],
    headers: [String: String] = [:], json: String
) async throws -> APIResponse {
    try await send(service, method, path, query: query, headers: headers, body: Array(json.utf8))
}

extension APIResponse {
    /// The body parsed as JSON (`.null` when it is not JSON).
    var json: JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(body))) ?? .null
    }

    /// The body as UTF-8 text.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The value of a response header.
    func header(_ name: String) -> String? {
        headers.first { $0.0 == name }?.1
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue {
        objectValue?[key] ?? .null
    }

    subscript(index: Int) -> JSONValue {
        if case .array(let items) = self, items.indices.contains(index) { items[index] } else { .null }
    }

    var string: String? {
        if case .string(let value) = self { value } else { nil }
    }

    var int: Int? {
        if case .number(let value) = self { Int(value) } else { nil }
    }

    var count: Int {
        switch self {
        case .array(let items): items.count
        case .object(let members): members.count
        default: 0
        }
    }

    var strings: [String] {
        if case .array(let items) = self { items.compactMap(\.string) } else { [] }
    }
}

/// Checks that `response` is Google's error envelope with this code, status and reason.
func expectError(
    _ response: APIResponse, _ code: Int, _ status: String, reason: String? = nil, message: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let error = response.json["error"]
    #expect(response.status == code, sourceLocation: sourceLocation)
    #expect(error["code"].int == code, sourceLocation: sourceLocation)
    #expect(error["status"].string == status, sourceLocation: sourceLocation)
    #expect(error["errors"][0]["domain"].string == "global", sourceLocation: sourceLocation)
    #expect(error["errors"][0]["message"].string == error["message"].string, sourceLocation: sourceLocation)
    if let reason { #expect(error["errors"][0]["reason"].string == reason, sourceLocation: sourceLocation) }
    if let message { #expect(error["message"].string == message, sourceLocation: sourceLocation) }
}

/// The bytes of a string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

let quickFox = "The quick brown fox jumps over the lazy dog"

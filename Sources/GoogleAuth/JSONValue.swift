import FoundationEssentials
import Glibc
import MTLS

/// A JSON document read without a fixed schema, so each missing or mistyped field gets an error
/// that names it (Google's files are loosely typed: `"workload": "exists"` counts as present).
enum JSONValue: Sendable, Hashable, Decodable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case object([String: JSONValue])
    case array([JSONValue])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Parses `bytes`; `source` names the file for the error.
    static func parse(_ bytes: [UInt8], source: String) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw GoogleAuthError(.malformedFile, "\(source) is not valid JSON: fix or remove it")
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var object: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// A boolean, accepting Google's `"true"`/`"false"` strings too.
    var bool: Bool? {
        switch self {
        case .bool(let value): value
        case .string(let text) where text.lowercased() == "true": true
        case .string(let text) where text.lowercased() == "false": false
        default: nil
        }
    }
}

/// Configuration and credentials files: a missing file is "not this source", anything else wrong
/// with one that exists is an error naming it.
enum ConfigFile {
    /// Whether something exists at `path` (a file, or a broken one we must report).
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    /// The file's bytes, or nil if nothing is there; `what` names it in errors ("certificate config").
    static func read(_ path: String, what: String) throws -> [UInt8]? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw GoogleAuthError(.unreadableFile, "the \(what) \(path) cannot be examined: \(String(cString: strerror(errno)))")
        }
        do {
            return try FileBytes.read(path, what: "the \(what)")
        } catch let error as TLSError {
            throw GoogleAuthError(error.code == .malformedInput ? .malformedFile : .unreadableFile, error.message)
        }
    }

    /// The JSON object in the file at `path`, or nil when there is no file.
    static func json(_ path: String, what: String) throws -> JSONValue? {
        guard let bytes = try read(path, what: what) else { return nil }
        let value = try JSONValue.parse(bytes, source: "the \(what) \(path)")
        guard case .object = value else {
            throw GoogleAuthError(.malformedFile, "the \(what) \(path) is not a JSON object")
        }
        return value
    }

    /// The modification time, size and inode of `path`, to notice rotated files; nil if missing.
    static func signature(_ path: String) -> [Int]? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return [Int(status.st_mtim.tv_sec), Int(status.st_mtim.tv_nsec), Int(status.st_size), Int(status.st_ino)]
    }
}

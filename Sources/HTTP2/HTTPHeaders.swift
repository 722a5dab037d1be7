/// An ordered list of header fields; names compare case-insensitively and are sent lowercased.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    private(set) var fields: [(name: String, value: String)]

    /// Headers from name/value pairs, in order.
    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: Self.lowercased($0.0), value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) { self.init(elements) }

    /// Adds a field (repeated names are kept, as HTTP allows).
    public mutating func add(name: String, value: String) { fields.append((Self.lowercased(name), value)) }

    /// Makes room for `count` fields in all.
    mutating func reserveCapacity(_ count: Int) { fields.reserveCapacity(count) }

    /// Adds a field whose name is known to be in lower case (as HTTP/2 delivers them).
    mutating func append(lowercasedName name: String, value: String) { fields.append((name, value)) }

    /// Replaces every field of that name with one.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    /// Removes every field of that name.
    public mutating func remove(name: String) {
        let name = Self.lowercased(name)
        fields.removeAll { $0.name == name }
    }

    /// Every value of that name, in order.
    public subscript(name: String) -> [String] {
        let name = Self.lowercased(name)
        return fields.filter { $0.name == name }.map(\.value)
    }

    /// The first value of that name.
    public func first(name: String) -> String? {
        let name = Self.lowercased(name)
        return fields.first { $0.name == name }?.value
    }

    /// `name` in lower case; names are nearly always lower-case ASCII already (HTTP/2 sends them
    /// so), and those are returned as they are.
    static func lowercased(_ name: String) -> String {
        name.utf8.allSatisfy { $0 < 0x80 && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) } ? name : name.lowercased()
    }

    public func makeIterator() -> some IteratorProtocol<(name: String, value: String)> { fields.makeIterator() }

    public var count: Int { fields.count }

    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n") }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for field in fields { hasher.combine(field.name); hasher.combine(field.value) }
    }
}

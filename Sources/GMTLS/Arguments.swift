/// Command-line arguments: options with values, repeatable ones, flags, and positionals.
struct Arguments {
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    /// Options that take a value, with their short aliases (`-X` is `--request`).
    static let valued: [String: String] = [
        "-X": "--request", "--request": "--request", "-d": "--data", "--data": "--data", "-H": "--header",
        "--header": "--header", "-o": "--output", "--output": "--output", "--cert": "--cert", "--key": "--key",
        "--cacert": "--cacert", "--connect-to": "--connect-to", "--service": "--service", "--timeout": "--timeout",
        "--scope": "--scope", "-n": "-n", "-c": "-c", "-m": "-m",
    ]
    /// Options that are flags.
    static let switches: [String: String] = [
        "-i": "--include", "--include": "--include", "--no-auth": "--no-auth", "--json": "--json", "-h": "--help",
        "--help": "--help", "--offline": "--offline",
    ]

    init(_ arguments: some Sequence<String>) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            if let name = Self.valued[argument] {
                guard let value = iterator.next() else { throw UsageError("\(argument) needs a value") }
                values[name, default: []].append(value)
            } else if let name = Self.switches[argument] {
                flags.insert(name)
            } else if argument.hasPrefix("-") && argument.count > 1 {
                throw UsageError("unknown option \(argument)")
            } else {
                positionals.append(argument)
            }
        }
    }

    /// The last value given for `name`.
    func value(_ name: String) -> String? { values[name]?.last }
    /// Every value given for `name`, in order.
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }
}

/// A mistake on the command line: the message says what, and usage follows.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

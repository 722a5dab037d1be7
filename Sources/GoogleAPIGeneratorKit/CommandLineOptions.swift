/// The generator's command line:
/// `GoogleAPIGenerator --discovery FILE.json --output DIR [--module NAME]`, or
/// `GoogleAPIGenerator --discovery FILE.json --print-module-name`.
package struct CommandLineOptions: Equatable {
    /// The Discovery document to read.
    var discovery: String
    /// The module directory that receives `Client.swift` and `Models.swift`.
    var output: String?
    /// The module name (default: `Google` + the API name in UpperCamelCase).
    var module: String?
    /// Print the module name and exit.
    var printModuleName = false

    package static let usage = """
        usage: GoogleAPIGenerator --discovery FILE.json --output DIR [--module NAME]
               GoogleAPIGenerator --discovery FILE.json --print-module-name
        Writes DIR/Client.swift and DIR/Models.swift for one Google API Discovery document.
        """

    /// Parses the arguments (without the program name).
    package init(arguments: [String]) throws(CommandLineError) {
        var discovery: String?
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--discovery": discovery = try Self.value(of: argument, from: &remaining)
            case "--output": output = try Self.value(of: argument, from: &remaining)
            case "--module": module = try Self.value(of: argument, from: &remaining)
            case "--print-module-name": printModuleName = true
            case "-h", "--help": throw .helpRequested
            default: throw .invalid("unknown argument \(argument)")
            }
        }
        guard let discovery else { throw .invalid("--discovery is required") }
        guard output != nil || printModuleName else { throw .invalid("--output is required") }
        if let module, !Identifiers.isPlainIdentifier(module) { throw .invalid("--module \(module) is not an identifier") }
        self.discovery = discovery
    }

    private static func value(of option: String, from arguments: inout ArraySlice<String>) throws(CommandLineError) -> String {
        guard let value = arguments.popFirst(), !value.hasPrefix("--") else { throw .invalid("\(option) needs a value") }
        return value
    }
}

/// A command line that cannot be run.
package enum CommandLineError: Error, Equatable {
    case invalid(String)
    case helpRequested
}

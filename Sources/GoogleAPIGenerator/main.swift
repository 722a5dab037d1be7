import GoogleAPIGeneratorKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `text` and a newline to standard error.
func printError(_ text: String) {
    let line = Array((text + "\n").utf8)
    _ = line.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
}

do {
    let options = try CommandLineOptions(arguments: Array(CommandLine.arguments.dropFirst()))
    for line in try GeneratorCommand.run(options) { print(line) }
} catch CommandLineError.helpRequested {
    print(CommandLineOptions.usage)
} catch let error as CommandLineError {
    if case .invalid(let reason) = error { printError("error: \(reason)") }
    printError(CommandLineOptions.usage)
    exit(2)
} catch {
    printError("error: \(error)")
    exit(1)
}

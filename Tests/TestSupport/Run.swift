import Foundation
import MTLS

/// Runs a command and fails the test if it does not exit 0.
public func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
    _ = try output(executable, arguments, environment: environment)
}

/// Runs a command and returns what it printed (stdout and stderr); fails the test if it does not exit 0.
@discardableResult
public func output(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TLSError(.ioError, "\(executable) \(arguments.first ?? "") failed: \(text)")
    }
    return text
}

import Foundation
import MTLS

/// Runs a command and fails the test if it does not exit 0.
public func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
    _ = try output(executable, arguments, environment: environment)
}

/// Runs a command and returns what it printed (stdout and stderr); fails the test if it does not exit 0.
/// `environment` is added to the test process's own.
@discardableResult
public func output(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
    let (status, text) = try launch(executable, arguments,
                                    environment: ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 })
    guard status == 0 else {
        throw TLSError(.ioError, "\(executable) \(arguments.first ?? "") failed: \(text)")
    }
    return text
}

/// Runs a command with exactly `environment`; returns its exit status and what it printed (stdout and stderr).
public func launch(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

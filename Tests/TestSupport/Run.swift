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
    let (status, text) = try launchNow(executable, arguments,
                                    environment: ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 })
    guard status == 0 else {
        throw TLSError(.ioError, "\(executable) \(arguments.first ?? "") failed: \(text)")
    }
    return text
}

/// Runs a command with exactly `environment` on a thread of its own (never blocking the task pool,
/// which other tests need); returns its exit status and what it printed.
public func launch(_ executable: String, _ arguments: [String], environment: [String: String]) async throws -> (Int32, String) {
    try await BlockingWork.run("launch \(executable)") { try launchNow(executable, arguments, environment: environment) }
}

/// `launch`, blocking the calling thread; stderr goes to `errors` when given, else with stdout.
func launchNow(_ executable: String, _ arguments: [String], environment: [String: String],
               errors: FileHandle? = nil) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    let output = Pipe()
    process.standardOutput = output
    process.standardError = errors ?? output
    try process.run()
    try errors?.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}

/// `launch` keeping stdout and stderr apart (stderr goes through a file, so neither pipe can fill
/// while the other is read).
public func launchSeparately(_ executable: String, _ arguments: [String],
                             environment: [String: String]) async throws -> (status: Int32, stdout: String, stderr: String) {
    try await BlockingWork.run("launch \(executable)") {
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: errors, contents: nil), let errorHandle = FileHandle(forWritingAtPath: errors) else {
            throw TLSError(.ioError, "cannot create \(errors)")
        }
        defer { try? FileManager.default.removeItem(atPath: errors) }
        let (status, stdout) = try launchNow(executable, arguments, environment: environment, errors: errorHandle)
        return (status, stdout, try String(contentsOfFile: errors, encoding: .utf8))
    }
}

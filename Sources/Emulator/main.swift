import Foundation
import GoogleAPIEmulator

/// `emulator [--directory DIR] [--port N] [--metadata-server]`: serves the Google API emulator until interrupted,
/// after printing how to point an app (or `gmtls`) at it.
let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, in arguments: [String]) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let directory = option("--directory", in: arguments) ?? FileManager.default.temporaryDirectory.appendingPathComponent("google-api-emulator").path
let port = Int(option("--port", in: arguments) ?? "0") ?? 0

do {
    let emulator = try await GoogleAPIEmulator.start(.init(directory: directory, port: port,
                                                           metadataServer: arguments.contains("--metadata-server")))
    let files = emulator.files
    // Written straight to the descriptor (print would sit in stdio's buffer when stdout is a file).
    FileHandle.standardOutput.write(Data("""
    Google API emulator on 127.0.0.1:\(emulator.port), files in \(files.directory)
    Point an unchanged app (or gmtls) at it:
      source \(files.directory)/env.sh
    which sets \(emulator.environment.keys.sorted().joined(separator: ", ")), e.g.
      gmtls request https://secretmanager.mtls.googleapis.com/v1/projects/\(emulator.projectID)/secrets
    \(emulator.metadataHost.map { "Metadata server: export GCE_METADATA_HOST=\($0)\n" } ?? "")
    """.utf8))
    while true { try await Task.sleep(for: .seconds(3600)) }
} catch {
    FileHandle.standardError.write(Data("emulator: \(error)\n".utf8))
    exit(1)
}

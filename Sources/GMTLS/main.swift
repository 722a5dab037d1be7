import Foundation
import GoogleAuth
import MTLS

/// `gmtls`: diagnose and call Google APIs over mutual TLS.
/// Exit codes: 0 success, 1 the call or check failed, 2 bad usage or invalid configuration.
let commands: [String: String] = [
    "doctor": """
    gmtls doctor [--service NAME] [--json] [--offline] [--connect-to HOST:PORT:ADDR:PORT]... [--cacert FILE]
                 [--cert FILE --key FILE]
        Which credentials and client certificate would be used, which endpoint and why; then (unless
        --offline) a token and a real mTLS handshake to the endpoint, and a verdict with the fix for
        each problem. Services are named as in Discovery (storage, pubsub, secretmanager, ...).
    """,
    "request": """
    gmtls request [-X METHOD] URL [-d DATA|@FILE] [-H 'Name: value']... [--cert FILE --key FILE] [--cacert FILE]
                  [--no-auth] [-o FILE] [-i] [--connect-to HOST:PORT:ADDR:PORT]... [--timeout SECONDS]
        An authenticated call (Application Default Credentials + mTLS), like curl for Google APIs.
    """,
    "token": """
    gmtls token [--scope SCOPE]... [--cacert FILE] [--connect-to HOST:PORT:ADDR:PORT]... [--cert FILE --key FILE]
        Prints an access token from Application Default Credentials, like `gcloud auth print-access-token`.
    """,
    "bench": """
    gmtls bench URL [-n N] [-c C] [-m M] [--no-auth] [--json] [--cacert FILE] [--connect-to ...] [--cert FILE --key FILE]
        An h2load-style benchmark: N requests over C connections with M streams in flight on each.
    """,
]
let usage = "usage:\n" + ["doctor", "request", "token", "bench"].compactMap { commands[$0] }.joined(separator: "\n")
    + "\n--connect-to takes curl's syntax (an empty HOST matches every host) and applies to every connection,"
    + " token requests included.\nExit codes: 0 success, 1 the call or check failed, 2 bad usage or configuration."

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("gmtls: \(message)\n".utf8))
    exit(status)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, let help = commands[command] else {
    let asked = arguments.first.map { $0 == "-h" || $0 == "--help" } ?? false
    print(usage)
    exit(asked ? 0 : 2)
}
do {
    let options = try Arguments(arguments.dropFirst())
    if options.has("--help") { print(help); exit(0) }
    let connection = try ConnectionOptions(options)
    switch command {
    case "doctor": exit(try await Doctor(arguments: options, connection: connection).run())
    case "request": exit(try await RequestCommand(arguments: options, connection: connection).run())
    case "token": exit(try await TokenCommand(arguments: options, connection: connection).run())
    default: exit(try await BenchCommand(arguments: options, connection: connection).run())
    }
} catch let error as UsageError {
    fail("\(error)\n\n\(help)", status: 2)
} catch {
    fail("\(error)", status: ExitCode.of(error))
}

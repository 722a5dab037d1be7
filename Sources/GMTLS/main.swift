import Foundation

/// `gmtls`: diagnose and call Google APIs over mutual TLS.
let usage = """
usage:
  gmtls doctor [--service NAME] [--json] [--connect-to HOST:PORT:ADDR:PORT]... [--cacert FILE] [--cert FILE --key FILE]
      Shows which credentials and client certificate would be used, which endpoint and why, then
      makes a real mTLS handshake to it and explains what worked and what to fix.
  gmtls request [-X METHOD] URL [-d DATA|@FILE] [-H 'Name: value']... [--cert FILE --key FILE]
                [--cacert FILE] [--no-auth] [-o FILE] [-i] [--connect-to HOST:PORT:ADDR:PORT]... [--timeout SECONDS]
      An authenticated call (Application Default Credentials + mTLS), like curl for Google APIs.
      --connect-to takes curl's syntax (an empty HOST matches every host) and applies to every
      connection, token requests included.
"""

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    guard let command = arguments.first, command != "-h", command != "--help" else {
        print(usage)
        exit(arguments.isEmpty ? 2 : 0)
    }
    let options = try Arguments(arguments.dropFirst())
    let connection = try ConnectionOptions(options)
    switch command {
    case "doctor": exit(try await Doctor(arguments: options, connection: connection).run())
    case "request": exit(try await RequestCommand(arguments: options, connection: connection).run())
    default: throw UsageError("unknown command \(command)")
    }
} catch let error as UsageError {
    FileHandle.standardError.write(Data("gmtls: \(error)\n\n\(usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("gmtls: \(error)\n".utf8))
    exit(1)
}

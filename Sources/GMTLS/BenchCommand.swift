import Foundation
import GoogleAuth
import HTTP2

/// `gmtls bench`: `HTTPBenchmark` with ADC and the discovered client certificate.
struct BenchCommand {
    let arguments: Arguments
    let connection: ConnectionOptions

    func run() async throws -> Int32 {
        guard let url = arguments.positionals.first, arguments.positionals.count == 1 else {
            throw UsageError("bench takes exactly one URL")
        }
        let environment = AuthEnvironment.process
        let source = try connection.certificate(environment: environment)
        var headers: HTTPHeaders = [:]
        if !arguments.has("--no-auth") {
            let credentials = try await GoogleCredentials.applicationDefault(
                options: connection.credentialsOptions(presenting: source), environment: environment)
            headers.add(name: "authorization", value: try await credentials.token().authorizationHeader)
            await credentials.shutdown()
        }
        let result = try await HTTPBenchmark(request: HTTPRequest(url: url, headers: headers),
                                             tls: connection.tls(presenting: source), connectTo: connection.connectTo,
                                             requests: try count("-n"), connections: try count("-c"), streams: try count("-m")).run()
        if arguments.has("--json") {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(result.summary)
        }
        return result.failed == 0 ? 0 : 1
    }

    private func count(_ flag: String) throws -> Int {
        guard let text = arguments.value(flag) else { return 1 }
        guard let number = Int(text), number > 0 else { throw UsageError("\(flag) needs a positive number, not \(text)") }
        return number
    }
}

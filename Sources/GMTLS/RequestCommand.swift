import Foundation
import GoogleAuth
import HTTP2
import MTLS

/// `gmtls request`: one authenticated HTTP/2 call over mTLS, printing the body (or saving it).
struct RequestCommand {
    let arguments: Arguments
    let connection: ConnectionOptions

    func run() async throws -> Int32 {
        guard let url = arguments.positionals.first, arguments.positionals.count == 1 else {
            throw UsageError("request takes exactly one URL")
        }
        let environment = AuthEnvironment.process
        let source = try connection.certificate(environment: environment)
        var headers = try requestHeaders()
        let credentials = arguments.has("--no-auth") ? nil : try await GoogleCredentials.applicationDefault(
            options: connection.credentialsOptions(presenting: source), environment: environment)
        if let credentials {
            headers.replaceOrAdd(name: "authorization", value: try await credentials.token().authorizationHeader)
            if let project = credentials.quotaProjectID { headers.replaceOrAdd(name: "x-goog-user-project", value: project) }
        }
        let client = try HTTPClient(configuration: .init(tls: connection.tls(presenting: source),
                                                         connectTo: connection.connectTo))
        let body = try requestBody()
        let method = arguments.value("--request") ?? (body == nil ? "GET" : "POST")
        let timeout = Duration.seconds(Double(arguments.value("--timeout") ?? "60") ?? 60)
        let response = try await client.execute(HTTPRequest(method: method, url: url, headers: headers, body: body ?? .none),
                                                timeout: timeout)
        try await write(response)
        await client.shutdown()
        await credentials?.shutdown()
        return (200..<400).contains(response.status) ? 0 : 1
    }

    private func requestHeaders() throws -> HTTPHeaders {
        var headers: HTTPHeaders = ["user-agent": "gmtls/1 swift-google-mtls"]
        for header in arguments.all("--header") {
            guard let colon = header.firstIndex(of: ":") else {
                // Only the first word: the rest may be a credential ("Authorization Bearer ya29...").
                throw UsageError("-H takes 'Name: value'; the one starting '\(header.prefix { $0 != " " }.prefix(40))' has no colon")
            }
            headers.replaceOrAdd(name: String(header[..<colon]).lowercased(),
                                 value: String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        return headers
    }

    /// `-d text` or `-d @file` (streamed from the file).
    private func requestBody() throws -> HTTPRequest.Body? {
        guard let data = arguments.value("--data") else { return nil }
        if data.hasPrefix("@") { return try .file(String(data.dropFirst())) }
        return .bytes(Array(data.utf8))
    }

    private func write(_ response: HTTPResponse) async throws {
        let output: FileHandle
        if let path = arguments.value("--output") {
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw UsageError("cannot write \(path)")
            }
            output = handle
        } else {
            output = .standardOutput
        }
        if arguments.has("--include") {
            var head = "HTTP/2 \(response.status)\r\n"
            for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
            output.write(Data((head + "\r\n").utf8))
        }
        for try await chunk in response.body { output.write(Data(chunk)) }
        if output !== FileHandle.standardOutput { try output.close() }
    }
}

import Foundation
import GoogleAuth

/// `gmtls token`: prints an access token (ADC, token requests over mTLS when a certificate is in use).
struct TokenCommand {
    let arguments: Arguments
    let connection: ConnectionOptions

    func run() async throws -> Int32 {
        let environment = AuthEnvironment.process
        let source = try connection.certificate(environment: environment)
        var options = connection.credentialsOptions(presenting: source)
        let scopes = arguments.all("--scope")
        if !scopes.isEmpty { options.scopes = scopes }
        let credentials = try await GoogleCredentials.applicationDefault(options: options, environment: environment)
        let token = try await credentials.token()
        await credentials.shutdown()
        print(token.value)   // the one place a token is shown: it is what this command is for
        return 0
    }
}

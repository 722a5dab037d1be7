import GoogleAuth
import MTLS

/// Exit codes: 0 success, 1 the call or check failed, 2 bad usage or invalid configuration.
enum ExitCode {
    /// Configuration errors (a bad variable, file, key or option) are 2; failures of the call itself are 1.
    static func of(_ error: any Error) -> Int32 {
        switch error {
        case is UsageError: return 2
        case let error as GoogleAuthError:
            let configuration: Set<GoogleAuthError.Code> = [.invalidEnvironment, .invalidOption, .malformedFile, .unreadableFile,
                                                             .mtlsNotSupported, .unsupportedCredentials, .keyMismatch,
                                                             .clientCertificate]
            return configuration.contains(error.code) ? 2 : 1
        case let error as TLSError:
            let configuration: Set<TLSError.Code> = [.invalidConfiguration, .malformedInput, .unreadableFile, .keyMismatch,
                                                     .passphraseRequired, .wrongPassphrase]
            return configuration.contains(error.code) ? 2 : 1
        default: return 1
        }
    }
}

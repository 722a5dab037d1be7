/// A failure finding or using credentials, a client certificate or an endpoint.
///
/// Match on `code`, which is stable across releases; `message` says what was wrong and what to do,
/// naming the variable, file or command involved. No message contains a token, key or passphrase.
public struct GoogleAuthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier of the kind of failure, extensible like `TLSError.Code`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name, e.g. `"invalidEnvironment"`.
        public let name: String
        /// Makes a code from its stable name.
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// An environment variable holds a value that is not accepted.
        public static let invalidEnvironment = Code("invalidEnvironment")
        /// An option passed in code is invalid (empty universe domain, conflicting settings).
        public static let invalidOption = Code("invalidOption")
        /// A configuration or credentials file exists but cannot be read.
        public static let unreadableFile = Code("unreadableFile")
        /// A configuration or credentials file is not the JSON it should be, or lacks a field.
        public static let malformedFile = Code("malformedFile")
        /// The certificate or key a configuration names cannot be loaded.
        public static let clientCertificate = Code("clientCertificate")
        /// A workload key does not belong to its certificate (retried during rotation before it surfaces).
        public static let keyMismatch = Code("keyMismatch")
        /// The SecureConnect certificate provider command failed, hung, or printed unusable output.
        public static let certificateProvider = Code("certificateProvider")
        /// mTLS was asked for outside the googleapis.com universe.
        public static let mtlsNotSupported = Code("mtlsNotSupported")
        /// No credentials were found by Application Default Credentials.
        public static let credentialsNotFound = Code("credentialsNotFound")
        /// The credentials file has a `type` (or credential source) this SDK does not handle.
        public static let unsupportedCredentials = Code("unsupportedCredentials")
        /// A token endpoint refused to issue a token; the message carries the server's error text.
        public static let tokenRefused = Code("tokenRefused")
        /// A token endpoint or the metadata server could not be reached or answered garbage.
        public static let tokenEndpointUnavailable = Code("tokenEndpointUnavailable")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened and what to do about it.
    public let message: String

    /// Makes an error; `message` must not contain secrets.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "GoogleAuthError.\(code): \(message)" }
}

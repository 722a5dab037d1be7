import GoogleAuth
import MTLS

/// What both commands take for connections: `--connect-to` rules, `--cacert`, and an explicit
/// `--cert`/`--key` pair.
struct ConnectionOptions {
    let connectTo: [ConnectTo]
    let trustRoots: TrustRoots
    let explicitCertificate: ClientCertificateSource?

    init(_ arguments: Arguments) throws {
        connectTo = try arguments.all("--connect-to").map { try ConnectTo(parsing: $0) } + ConnectTo.fromEnvironment()
        trustRoots = arguments.value("--cacert").map { .system + .pemFile($0) } ?? .system
        switch (arguments.value("--cert"), arguments.value("--key")) {
        case (let cert?, let key?):
            explicitCertificate = .explicit(try ClientIdentity.pemFiles(certificate: cert, privateKey: key))
        case (nil, nil):
            explicitCertificate = nil
        default:
            throw UsageError("--cert and --key go together")
        }
    }

    /// The client certificate source Google's rules pick, given `--cert`/`--key` and the environment.
    func certificate(environment: AuthEnvironment) throws -> ClientCertificateSource? {
        let settings = try MTLSSettings(environment: environment)
        return try ClientCertificateDecision.decide(explicit: explicitCertificate,
                                                    universeDomain: settings.universeDomain(option: nil).domain,
                                                    settings: settings, environment: environment).source
    }

    /// TLS settings with the trust roots, presenting `source`'s certificate when there is one.
    func tls(presenting source: ClientCertificateSource?) -> TLSConfiguration {
        let base = TLSConfiguration(trustRoots: trustRoots)
        return source?.tlsConfiguration(base) ?? base
    }

    /// Credentials options whose token requests use the same connections and certificate.
    func credentialsOptions(presenting source: ClientCertificateSource?) -> CredentialsOptions {
        CredentialsOptions(clientCertificate: source, tls: TLSConfiguration(trustRoots: trustRoots), connectTo: connectTo)
    }
}

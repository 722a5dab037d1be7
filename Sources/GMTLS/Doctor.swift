import Foundation
import GoogleAuth
import HTTP2
import MTLS

/// `gmtls doctor`: what would be used and why, a token and a real handshake (unless `--offline`),
/// and a verdict with fixes. Exit 0 when all is well, 1 with problems, 2 for an invalid configuration.
struct Doctor {
    let arguments: Arguments
    let connection: ConnectionOptions

    func run() async throws -> Int32 {
        let offline = arguments.has("--offline")
        var environment = AuthEnvironment.process
        if offline { environment.variables["NO_GCE_CHECK"] = "true" }
        var report = DoctorReport(service: arguments.value("--service") ?? "storage")
        let resolution: ServiceResolution
        do {
            resolution = try ServiceResolution.resolve(.named(report.service), clientCertificate: connection.explicitCertificate,
                                                       environment: environment)
        } catch {
            report.fail(error)
            print(arguments.has("--json") ? report.json : report.text)
            return 2
        }
        report.record(resolution)
        let source = resolution.certificate.source
        if let source, !(offline && source.kind.name == "secureconnect") {
            report.certificate = await certificate(from: source, into: &report)
        }
        report.credentials = await credentials(source: source, environment: environment, offline: offline,
                                               universe: resolution.endpoint.universeDomain, into: &report)
        if !offline { report.handshake = await handshake(resolution.endpoint.endpoint, source: source, into: &report) }
        report.conclude()
        print(arguments.has("--json") ? report.json : report.text)
        return report.problems.isEmpty ? 0 : 1
    }

    private func certificate(from source: ClientCertificateSource, into report: inout DoctorReport) async -> DoctorReport.CertificatePart? {
        do {
            // The handshake's path: no AIP-4118 retry pauses, a diagnosis should be quick.
            guard let identity = try source.identityForHandshake(CertificateRequest(serverName: "", acceptableIssuers: [])) else {
                return nil
            }
            let leaf = identity.certificate
            let days = Int(leaf.notAfter.timeIntervalSinceNow / 86400)
            if leaf.notAfter < Date() {
                report.problem("the client certificate expired on \(leaf.notAfter)",
                               fix: "renew it (re-enrol the device or rotate the workload certificate)")
            } else if days < 7 {
                report.problem("the client certificate expires in \(days) days (\(leaf.notAfter))",
                               fix: "renew it soon (re-enrol the device or rotate the workload certificate)")
            }
            return .init(source: source.description, subject: leaf.subject, issuer: leaf.issuer,
                         subjectAlternativeNames: leaf.dnsNames + leaf.ipAddresses, keyType: leaf.keyAlgorithm,
                         keyLocation: identity.keyLocation.description, notAfter: "\(leaf.notAfter)", daysLeft: days)
        } catch {
            report.problem("the client certificate from \(source) cannot be loaded: \(error)",
                           fix: "fix the file or command named above (pair the certificate with its own key), "
                                + "or set GOOGLE_API_USE_CLIENT_CERTIFICATE=false to go without")
            return nil
        }
    }

    private func credentials(source: ClientCertificateSource?, environment: AuthEnvironment, offline: Bool, universe: String,
                             into report: inout DoctorReport) async -> DoctorReport.CredentialsPart? {
        do {
            let credentials = try await GoogleCredentials.applicationDefault(
                options: connection.credentialsOptions(presenting: source), environment: environment)
            var part = DoctorReport.CredentialsPart(kind: credentials.kind.description, source: credentials.source,
                                                    project: credentials.projectID, universeDomain: credentials.universeDomain,
                                                    token: offline ? "not requested (offline)" : "obtained")
            if credentials.universeDomain != universe {
                report.problem("The configured universe domain (\(universe)) does not match the universe domain found in the "
                               + "credentials (\(credentials.universeDomain)).",
                               fix: "set GOOGLE_CLOUD_UNIVERSE_DOMAIN (or the universeDomain option) to the credentials' "
                                    + "universe, or use credentials of \(universe)")
            }
            if !offline {
                do {
                    _ = try await credentials.token()
                } catch {
                    part.token = "failed"
                    report.problem("no token could be obtained: \(error)",
                                   fix: "check the credentials file, the token endpoint's reachability, and --connect-to")
                }
            }
            await credentials.shutdown()
            return part
        } catch {
            report.problem("no credentials: \(error)",
                           fix: "set GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default login`")
            return nil
        }
    }

    private func handshake(_ endpoint: String, source: ClientCertificateSource?,
                           into report: inout DoctorReport) async -> DoctorReport.HandshakePart? {
        guard let url = URLComponents(string: endpoint), let host = url.host else { return nil }
        let tls = connection.tls(presenting: source)
        do {
            let tlsConnection = try await TLSConnection.connect(host: host, port: url.port ?? 443, configuration: tls,
                                                                connectTo: connection.connectTo)
            guard let info = await tlsConnection.info else { return nil }
            await tlsConnection.close()
            var part = DoctorReport.HandshakePart(
                address: info.remoteAddress, tlsVersion: info.protocolVersion, cipherSuite: info.cipherSuite,
                alpn: info.applicationProtocol, serverChain: info.peerCertificates.map(\.subject),
                clientCertificateRequested: info.clientCertificateRequested,
                clientCertificateSent: info.clientCertificate?.subject)
            part.httpStatus = await probe(endpoint, tls: tls, into: &report)
            if info.clientCertificateRequested && info.clientCertificate == nil && part.httpStatus == 403 {
                report.problem("the server requires a client certificate and we did not send one",
                               fix: "configure one (certificate_config.json via GOOGLE_API_CERTIFICATE_CONFIG, or --cert/--key)")
            }
            return part
        } catch let error as TLSError {
            report.problem("the TLS handshake with \(host) failed: \(error.message)", fix: Self.fix(for: error.code))
            return nil
        } catch {
            report.problem("cannot reach \(host): \(error)", fix: "check the network, a proxy, or --connect-to")
            return nil
        }
    }

    /// One unauthenticated HTTP/2 request: any answer means the server took our TLS session.
    private func probe(_ endpoint: String, tls: TLSConfiguration, into report: inout DoctorReport) async -> Int? {
        do {
            let client = try HTTPClient(configuration: .init(tls: tls, connectTo: connection.connectTo))
            let status = try await client.execute(HTTPRequest(url: endpoint), timeout: .seconds(15)).status
            await client.shutdown()
            return status
        } catch let error as TLSError where error.code == .clientCertificateRejected {
            report.problem("the server rejected our client certificate: \(error.message)", fix: Self.fix(for: error.code))
        } catch {
            report.problem("the request after the handshake failed: \(error)", fix: "see the error above")
        }
        return nil
    }

    static func fix(for code: TLSError.Code) -> String {
        switch code {
        case .untrustedServer, .selfSignedServer, .incompleteChain:
            "the server's CA is not trusted (or its chain is incomplete): pass --cacert (an emulator's ca.pem) or fix the system store"
        case .hostnameMismatch: "the certificate is for another name: check the endpoint and --connect-to"
        case .clientCertificateRejected: "use a certificate issued by a CA the server trusts (your organisation's), and not expired"
        case .connectionRefused, .connectTimeout, .nameResolution: "the endpoint is unreachable: check the network or --connect-to"
        default: "see the error above"
        }
    }
}

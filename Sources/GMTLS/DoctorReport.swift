import Foundation
import GoogleAuth
import MTLS

/// What `gmtls doctor` found, as text for people or one JSON object for tools.
struct DoctorReport: Encodable {
    struct CertificatePart: Encodable {
        let source: String
        let subject: String
        let issuer: String
        let subjectAlternativeNames: [String]
        let keyType: String
        let keyLocation: String
        let notAfter: String
        let daysLeft: Int
    }

    struct CredentialsPart: Encodable {
        let kind: String
        let source: String
        let project: String?
        let universeDomain: String
        var token: String
    }

    struct HandshakePart: Encodable {
        let address: String
        let tlsVersion: String
        let cipherSuite: String
        let alpn: String?
        let serverChain: [String]
        let clientCertificateRequested: Bool
        let clientCertificateSent: String?
        var httpStatus: Int?
    }

    struct Problem: Encodable {
        let what: String
        let fix: String
    }

    /// An invalid configuration: the error's stable code and message.
    struct Failure: Encodable {
        let code: String
        let message: String
    }

    let service: String
    var useClientCertificate = false
    var certificateSource = "none"
    var certificateConfigPath: String?
    var endpoint: String?
    var mtlsEndpoint = false
    var universeDomain: String?
    var reasons: [String] = []
    var error: Failure?
    var certificate: CertificatePart?
    var credentials: CredentialsPart?
    var handshake: HandshakePart?
    var problems: [Problem] = []
    var verdict = ""

    init(service: String) { self.service = service }

    mutating func record(_ resolution: ServiceResolution) {
        let source = resolution.certificate.source
        useClientCertificate = source != nil
        certificateSource = source?.kind.name ?? "none"
        certificateConfigPath = source?.kind.configPath
        endpoint = resolution.endpoint.endpoint
        mtlsEndpoint = resolution.endpoint.isMTLSEndpoint
        universeDomain = resolution.endpoint.universeDomain
        reasons = resolution.reasons
    }

    mutating func problem(_ what: String, fix: String) { problems.append(Problem(what: what, fix: fix)) }

    /// The configuration is invalid: nothing else can be decided.
    mutating func fail(_ error: any Error) {
        let code = (error as? GoogleAuthError)?.code.name ?? (error as? TLSError)?.code.name ?? "error"
        let message = (error as? GoogleAuthError)?.message ?? (error as? TLSError)?.message ?? "\(error)"
        self.error = Failure(code: code, message: message)
        verdict = "INVALID CONFIGURATION: \(message). Fix the variable or file it names; Google's libraries would fail too."
    }

    /// The plain-language verdict.
    mutating func conclude() {
        if let problem = problems.first {
            verdict = "NOT OK: \(problem.what) Fix: \(problem.fix)."
        } else if let handshake, handshake.clientCertificateSent != nil {
            verdict = "OK: mutual TLS works; the server accepted our client certificate (HTTP \(handshake.httpStatus ?? 0))."
        } else if handshake != nil {
            verdict = "OK: TLS works without a client certificate (the regular endpoint is used)."
        } else {
            verdict = "OK: the configuration is consistent (offline: nothing was contacted)."
        }
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    var text: String {
        var lines = ["Endpoint for \(service)", "  \(endpoint ?? "none")\(mtlsEndpoint ? " (mTLS)" : "")"]
        lines += reasons.map { "  - \($0)" }
        if let certificate {
            lines += ["Client certificate", "  source:  \(certificate.source)", "  subject: \(certificate.subject)",
                      "  issuer:  \(certificate.issuer)",
                      "  SANs:    \(certificate.subjectAlternativeNames.isEmpty ? "none" : certificate.subjectAlternativeNames.joined(separator: ", "))",
                      "  key:     \(certificate.keyType), in \(certificate.keyLocation)",
                      "  expires: \(certificate.notAfter) (\(certificate.daysLeft) days)"]
        } else {
            lines += ["Client certificate", "  \(certificateSource)"]
        }
        if let credentials {
            lines += ["Credentials", "  \(credentials.kind)", "  from \(credentials.source)",
                      "  project: \(credentials.project ?? "none"), universe: \(credentials.universeDomain)",
                      "  token: \(credentials.token)"]
        }
        if let handshake {
            lines += ["Handshake with \(handshake.address)", "  TLS version: \(handshake.tlsVersion)",
                      "  cipher:      \(handshake.cipherSuite)", "  ALPN:        \(handshake.alpn ?? "none")",
                      "  server chain:"] + handshake.serverChain.enumerated().map { "    [\($0)] \($1)" }
            lines += ["  client certificate requested: \(handshake.clientCertificateRequested ? "yes" : "no")",
                      "  client certificate sent:      \(handshake.clientCertificateSent ?? "none")",
                      "  HTTP answer:                  \(handshake.httpStatus.map(String.init) ?? "none")"]
        }
        lines += problems.map { "Problem: \($0.what)\n  fix: \($0.fix)" }
        lines.append(verdict)
        return lines.joined(separator: "\n")
    }
}

import Foundation

/// What `gmtls doctor` found, as text for people or JSON for tools.
struct DoctorReport: Encodable {
    struct EndpointPart: Encodable {
        let service: String
        let endpoint: String
        let mtls: Bool
        let reasons: [String]
    }

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

    var endpoint: EndpointPart?
    var certificate: CertificatePart?
    var credentials: CredentialsPart?
    var handshake: HandshakePart?
    var problems: [Problem] = []
    var verdict = ""

    mutating func problem(_ what: String, fix: String) { problems.append(Problem(what: what, fix: fix)) }

    /// The plain-language verdict.
    mutating func conclude() {
        if let problem = problems.first {
            verdict = "NOT OK: \(problem.what). Fix: \(problem.fix)"
        } else if let handshake, handshake.clientCertificateSent != nil {
            verdict = "OK: mutual TLS works; the server accepted our client certificate (HTTP \(handshake.httpStatus ?? 0))."
        } else {
            verdict = "OK: TLS works without a client certificate (the regular endpoint is used)."
        }
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    var text: String {
        var lines: [String] = []
        if let credentials {
            lines += ["Credentials", "  \(credentials.kind)", "  from \(credentials.source)",
                      "  project: \(credentials.project ?? "none")", "  token: \(credentials.token)"]
        }
        if let certificate {
            lines += ["Client certificate", "  source:  \(certificate.source)", "  subject: \(certificate.subject)",
                      "  issuer:  \(certificate.issuer)",
                      "  SANs:    \(certificate.subjectAlternativeNames.isEmpty ? "none" : certificate.subjectAlternativeNames.joined(separator: ", "))",
                      "  key:     \(certificate.keyType), in \(certificate.keyLocation)",
                      "  expires: \(certificate.notAfter) (\(certificate.daysLeft) days)"]
        } else {
            lines += ["Client certificate", "  none"]
        }
        if let endpoint {
            lines += ["Endpoint for \(endpoint.service)", "  \(endpoint.endpoint)\(endpoint.mtls ? " (mTLS)" : "")"]
            lines += endpoint.reasons.map { "  - \($0)" }
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

import Foundation
import MTLS
import TestSupport
import Testing

@Suite("The in-process certificate authority")
struct CertificateAuthorityTests {
    @Test("a root CA is self-signed, marked as a CA, and valid now")
    func rootCertificate() throws {
        let authority = try CertificateAuthority(commonName: "Unit CA")
        let certificate = authority.certificate
        #expect(certificate.subject.contains("CN=Unit CA"))
        #expect(certificate.subject == certificate.issuer)
        #expect(certificate.isCertificateAuthority)
        #expect(certificate.isValid())
        #expect(certificate.keyAlgorithm.hasPrefix("ECDSA"))
    }

    @Test("server certificates carry their DNS and IP names and the requested validity")
    func serverCertificateNames() throws {
        let authority = try CertificateAuthority()
        let notAfter = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) + 3600)
        let issued = try authority.makeServerCertificate(dnsNames: ["a.example", "*.b.example"], ipAddresses: ["127.0.0.1", "::1"],
                                                         notAfter: notAfter)
        #expect(issued.certificate.dnsNames == ["a.example", "*.b.example"])
        #expect(issued.certificate.ipAddresses == ["127.0.0.1", "::1"])
        #expect(issued.certificate.notAfter == notAfter)
        #expect(issued.certificate.issuer == authority.certificate.subject)
        #expect(!issued.certificate.isCertificateAuthority)
    }

    @Test("PEM output parses back to the same certificate")
    func pemRoundTrip() throws {
        let issued = try CertificateAuthority().makeClientCertificate(commonName: "round-trip", keyType: .rsa(bits: 2048))
        let parsed = try Certificate.parseChain(pem: Array(issued.chainPEM.utf8), source: "test")
        #expect(parsed == [issued.certificate])
        #expect(issued.certificate.keyAlgorithm == "RSA-2048")
        #expect(issued.certificate.sha256Fingerprint.count == 64)
    }

    @Test("serial numbers differ between certificates")
    func uniqueSerials() throws {
        let authority = try CertificateAuthority()
        let serials = try (0..<5).map { try authority.makeClientCertificate(commonName: "c\($0)").certificate.serialNumber }
        #expect(Set(serials).count == 5)
    }
}

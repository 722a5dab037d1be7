import Foundation
@testable import GoogleAuth
import MTLS
import TestSupport
import Testing

/// SecureConnect's provider command and its output, accepted and refused as Google's Python
/// library does (spec D.5) and run without a shell, with a timeout.
@Suite("SecureConnect provider")
struct SecureConnectTests {
    static let issued = Result { try TestPKI.shared.authority.makeClientCertificate(commonName: "device") }
    static let passphrase = "pp-7c1e-secret"

    static var cert: String { (try? issued.get().chainPEM) ?? "" }
    static var key: String { (try? issued.get().privateKeyPEM(.traditional)) ?? "" }
    static var encryptedKey: String { (try? issued.get().privateKeyPEM(.encryptedPKCS8(passphrase: passphrase))) ?? "" }
    static var passphraseBlock: String { "-----BEGIN PASSPHRASE-----\n\(passphrase)\n-----END PASSPHRASE-----\n" }

    /// Which parts make up the output, whether an encrypted key is expected, and the refusal (nil: accepted).
    @Test("provider output is accepted or refused as Python's regexes decide (D.5 #31-#38, #40)", arguments: [
        (["cert", "key"], false, nil),
        (["key", "cert"], false, nil),
        (["junk", "cert", "junk", "key", "junk"], false, nil),
        (["cert", "encrypted", "passphrase"], true, nil),
        (["cert", "cert", "key"], false, nil),
        (["cert", "cert", "encrypted", "passphrase"], true, nil),
        (["key"], false, "Client SSL certificate is missing or invalid"),
        (["encrypted", "passphrase"], true, "Client SSL certificate is missing or invalid"),
        (["cert"], false, "Client SSL key is missing or invalid"),
        (["cert", "passphrase"], true, "Client SSL key is missing or invalid"),
        (["cert", "encrypted"], true, "Passphrase is missing or invalid"),
        (["cert", "key", "passphrase"], false, "Passphrase is not expected"),
        (["cert", "key", "passphrase"], true, "Encrypted private key is expected"),
        (["cert", "encrypted"], false, "Encrypted private key is not expected"),
        ([], false, "Client SSL certificate is missing or invalid"),
    ] as [([String], Bool, String?)])
    func outputParsing(_ parts: [String], _ expectEncrypted: Bool, _ refusal: String?) throws {
        let text = parts.map { part in
            switch part {
            case "cert": Self.cert
            case "key": Self.key
            case "encrypted": Self.encryptedKey
            case "passphrase": Self.passphraseBlock
            default: "some log line\n"
            }
        }.joined()
        do {
            let output = try SecureConnect.Output.parse(Array(text.utf8), expectEncryptedKey: expectEncrypted)
            #expect(refusal == nil)
            let certificates = parts.filter { $0 == "cert" }.count
            #expect(String(decoding: output.chain, as: UTF8.self) == String(repeating: Self.cert, count: certificates))
            #expect(output.passphrase == (expectEncrypted ? Self.passphrase : nil))
        } catch let error as GoogleAuthError {
            #expect(error.code == .certificateProvider)
            #expect(refusal.map { error.message.hasSuffix($0) } == true, "\(error.message)")
            #expect(!error.message.contains(Self.passphrase))
        }
    }

    @Test("the key regex accepts PKCS#8, RSA and EC key labels (D.5 #40)", arguments: ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"])
    func keyLabels(_ label: String) throws {
        let text = Self.cert + "-----BEGIN \(label)-----\nAAAA\n-----END \(label)-----\n"
        let output = try SecureConnect.Output.parse(Array(text.utf8), expectEncryptedKey: false)
        #expect(String(decoding: output.key, as: UTF8.self).hasPrefix("-----BEGIN \(label)-----"))
    }

    @Test("the provider runs once and its certificate is reused until it expires")
    func providerRunsOnceAndCaches() async throws {
        let machine = try FakeMachine()
        let pem = try machine.write(Self.cert + Self.key, at: "device.pem")
        let counter = machine.home.path + "/runs"
        let helper = try machine.script("echo run >> \(counter)\ncat \(pem)", named: "helper")
        try machine.secureConnect([helper, "--print_certificate"])
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        let first = try await source.identity()
        let second = try source.identityForHandshake(CertificateRequest(serverName: "x", acceptableIssuers: []))
        #expect(first.certificate == (try Self.issued.get().certificate))
        #expect(second?.certificate == first.certificate)
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "run\n")
    }

    @Test("an expired provider certificate makes the next use run the provider again")
    func expiredCertificateRerunsProvider() async throws {
        let machine = try FakeMachine()
        let expired = try TestPKI.shared.authority.makeClientCertificate(commonName: "old", notBefore: Date() - 7200,
                                                                         notAfter: Date() - 60)
        let pem = try machine.write(expired.chainPEM + (try expired.privateKeyPEM()), at: "device.pem")
        let counter = machine.home.path + "/runs"
        try machine.secureConnect([try machine.script("echo run >> \(counter)\ncat \(pem)", named: "helper")])
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        _ = try await source.identity()
        _ = try await source.identity()
        #expect(try String(contentsOfFile: counter, encoding: .utf8) == "run\nrun\n")
    }

    @Test("an encrypted key with --with_passphrase is decrypted with the printed passphrase (D.6 #43)")
    func encryptedKeyWithPassphrase() async throws {
        let machine = try FakeMachine()
        let pem = try machine.write(Self.cert + Self.encryptedKey + Self.passphraseBlock, at: "device.pem")
        try machine.secureConnect([try machine.script("cat \(pem)", named: "helper"), "--with_passphrase"])
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        #expect(try await source.identity().certificate == (try Self.issued.get().certificate))
    }

    @Test("a failing provider is an error with its exit status and stderr (D.5 #39)")
    func failingProvider() async throws {
        let machine = try FakeMachine()
        let helper = try machine.script("echo 'device not enrolled' >&2\nexit 3", named: "helper")
        let metadata = try machine.secureConnect([helper])
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        let error = await #expect(throws: GoogleAuthError.self) { try await source.identity() }
        #expect(error?.code == .certificateProvider)
        #expect(error?.message.contains("status 3") == true)
        #expect(error?.message.contains("device not enrolled") == true)
        #expect(error?.message.contains(metadata) == true)
    }

    @Test("a provider that cannot be started is an error naming it (D.5 #39)")
    func missingProvider() async throws {
        let machine = try FakeMachine()
        try machine.secureConnect(["/nonexistent/helper"])
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        let error = await #expect(throws: GoogleAuthError.self) { try await source.identity() }
        #expect(error?.message.contains("/nonexistent/helper") == true)
    }

    @Test("a provider that hangs is stopped at the timeout")
    func hangingProvider() async throws {
        let machine = try FakeMachine()
        try machine.secureConnect([try machine.script("exec sleep 30", named: "helper")])
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment,
                                                                       providerTimeout: .milliseconds(300)).source)
        let start = ContinuousClock.now
        let error = await #expect(throws: GoogleAuthError.self) { try await source.identity() }
        #expect(error?.message.contains("did not finish") == true, "\(error?.message ?? "")")
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test("a provider printing garbage is refused with Python's reason")
    func garbageProvider() async throws {
        let machine = try FakeMachine()
        try machine.secureConnect([try machine.script("echo hello", named: "helper")])
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        let error = await #expect(throws: GoogleAuthError.self) { try await source.identity() }
        #expect(error?.message.hasSuffix("Client SSL certificate is missing or invalid") == true)
    }

    @Test("arguments reach the provider verbatim: no shell, no variable expansion")
    func noShell() async throws {
        let machine = try FakeMachine()
        let out = machine.home.path + "/args"
        let helper = try machine.script("printf '%s|' \"$@\" > \(out)\nexit 1", named: "helper")
        try machine.secureConnect([helper, "$HOME", "a b", ";", "*"])
        let source = try #require(try ClientCertificateSource.discover(environment: machine.environment).source)
        _ = try? await source.identity()
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "$HOME|a b|;|*|")
    }
}

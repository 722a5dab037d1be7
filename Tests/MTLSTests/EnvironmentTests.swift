@testable import MTLS
import Testing

/// Settings an unchanged app takes from its environment: connect-to rules and CA bundles.
@Suite("Environment: GMTLS_CONNECT_TO, SSL_CERT_FILE, SSL_CERT_DIR")
struct EnvironmentTests {
    @Test("GMTLS_CONNECT_TO holds curl-syntax rules separated by commas or spaces")
    func connectToRules() throws {
        let rules = try ConnectTo.fromEnvironment(["GMTLS_CONNECT_TO": "::127.0.0.1:8443, oauth2.googleapis.com:443:127.0.0.1:9443"])
        #expect(rules.count == 2)
        #expect(ConnectTo.target(for: "oauth2.googleapis.com", port: 443, rules: rules) == ("127.0.0.1", 8443))
        #expect(try ConnectTo.fromEnvironment([:]).isEmpty)
    }

    @Test("a bad GMTLS_CONNECT_TO rule is an error naming the variable")
    func badConnectToRule() {
        let error = #expect(throws: TLSError.self) { try ConnectTo.fromEnvironment(["GMTLS_CONNECT_TO": "a:b:c"]) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix("GMTLS_CONNECT_TO:") == true)
    }

    @Test("SSL_CERT_FILE and SSL_CERT_DIR replace the system store as in OpenSSL and curl", arguments: [
        (["SSL_CERT_FILE": "/etc/corp/ca.pem"], [TrustRoots.Source.pemFile("/etc/corp/ca.pem")]),
        (["SSL_CERT_DIR": "/d1:/d2"], [.directory("/d1"), .directory("/d2")]),
        (["SSL_CERT_FILE": "/a.pem", "SSL_CERT_DIR": "/d"], [.pemFile("/a.pem"), .directory("/d")]),
    ] as [([String: String], [TrustRoots.Source])])
    func certificateVariables(_ variables: [String: String], _ expected: [TrustRoots.Source]) {
        #expect(TrustRoots.environmentSources(variables) == expected)
    }

    @Test("without SSL_CERT_FILE or SSL_CERT_DIR the system store is used")
    func systemStoreByDefault() {
        #expect(TrustRoots.environmentSources([:]) == nil)
        #expect(TrustRoots.environmentSources(["SSL_CERT_FILE": ""]) == nil)
    }
}

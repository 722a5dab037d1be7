import Foundation
import GoogleAuth
import MTLS
import TestSupport
import Testing

/// Whether a client certificate is used and from where (spec D.1, D.2, D.11 and "Our behaviour").
@Suite("Client certificate discovery")
struct ClientCertificateDiscoveryTests {
    @Test("GOOGLE_API_USE_CLIENT_CERTIFICATE and its CLOUDSDK fallback (D.1 #1, #2, #8, #9)", arguments: [
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": "true"], MTLSSettings.ClientCertificateUse.enabled),
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": "True"], .enabled),
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": " TRUE "], .enabled),
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": "1"], .enabled),
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": "false"], .disabled),
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": "0"], .disabled),
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": ""], .auto),
        ([:], .auto),
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": "true", "CLOUDSDK_CONTEXT_AWARE_USE_CLIENT_CERTIFICATE": "false"], .enabled),
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": "false", "CLOUDSDK_CONTEXT_AWARE_USE_CLIENT_CERTIFICATE": "true"], .disabled),
        (["CLOUDSDK_CONTEXT_AWARE_USE_CLIENT_CERTIFICATE": "true"], .enabled),
        (["CLOUDSDK_CONTEXT_AWARE_USE_CLIENT_CERTIFICATE": "false"], .disabled),
        (["GOOGLE_API_USE_CLIENT_CERTIFICATE": "", "CLOUDSDK_CONTEXT_AWARE_USE_CLIENT_CERTIFICATE": "true"], .enabled),
    ])
    func enablement(_ variables: [String: String], _ expected: MTLSSettings.ClientCertificateUse) throws {
        let settings = try MTLSSettings(environment: AuthEnvironment(variables: variables, homeDirectory: "/nonexistent"))
        #expect(settings.clientCertificateUse == expected)
    }

    @Test("an unsupported GOOGLE_API_USE_CLIENT_CERTIFICATE is an error naming variable, value and choices (D.1 #2)",
          arguments: [("GOOGLE_API_USE_CLIENT_CERTIFICATE", "garbage"), ("CLOUDSDK_CONTEXT_AWARE_USE_CLIENT_CERTIFICATE", "yes")])
    func enablementGarbage(_ name: String, _ value: String) {
        let error = #expect(throws: GoogleAuthError.self) {
            try MTLSSettings(environment: AuthEnvironment(variables: [name: value], homeDirectory: "/nonexistent"))
        }
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.message.contains(name) == true)
        #expect(error?.message.contains("'\(value)'") == true)
        #expect(error?.message.contains("true, false, 1, 0") == true)
    }

    @Test("a workload section in the config named by the variable turns certificates on (D.1 #3, D.2 #15)")
    func workloadConfigFromVariable() throws {
        var machine = try FakeMachine()
        let files = try machine.workloadFiles()
        machine.variables["GOOGLE_API_CERTIFICATE_CONFIG"] = try machine.workloadConfig(cert: files.cert, key: files.key,
                                                                                       at: "elsewhere/config.json")
        let decision = try decide(machine)
        #expect(decision.source?.kind == .workload(config: machine.home.path + "/elsewhere/config.json",
                                                   certificate: files.cert, key: files.key))
    }

    @Test("gcloud's default certificate_config.json is found without any variable (D.11 #60)")
    func workloadConfigDefaultPath() async throws {
        let machine = try FakeMachine()
        let files = try machine.workloadFiles()
        try machine.workloadConfig(cert: files.cert, key: files.key)
        let source = try #require(try decide(machine).source)
        #expect(try await source.identity().certificate == files.issued.certificate)
    }

    @Test("only the first certificate config setting that is set is read (CLOUDSDK fallback, D.1 #10)")
    func onlyFirstConfigPathCounts() throws {
        var machine = try FakeMachine()
        let files = try machine.workloadFiles()
        let good = try machine.workloadConfig(cert: files.cert, key: files.key, at: "good.json")
        machine.variables["CLOUDSDK_CONTEXT_AWARE_CERTIFICATE_CONFIG_FILE_PATH"] = good
        #expect(try decide(machine).source != nil)
        machine.variables["GOOGLE_API_CERTIFICATE_CONFIG"] = machine.home.path + "/missing.json"
        #expect(try decide(machine).source == nil)
        #expect(try decide(machine).reasons.contains { $0.contains("missing.json") })
    }

    @Test("a config without a workload or pkcs11 section is no source (D.1 #4)")
    func configWithoutSections() throws {
        let machine = try FakeMachine()
        try machine.write(#"{"version": 1, "cert_configs": {}}"#, at: ".config/gcloud/certificate_config.json")
        let decision = try decide(machine)
        #expect(decision.source == nil)
        #expect(decision.reasons.contains { $0.contains("neither a workload nor a pkcs11 section") })
    }

    @Test("a config that exists but is broken is an error that names the file (D.1 #5, B.2)", arguments: [
        ("{bad_json", "is not valid JSON"),
        (#"{"version": 1}"#, "a \"cert configs\" object is expected"),
        (#"{"cert_configs": {"workload": "exists"}}"#, "a \"cert_path\" is expected in the workload cert config"),
        (#"{"cert_configs": {"workload": {"cert_path": "/c.pem"}}}"#, "a \"key_path\" is expected in the workload cert config"),
        (#"{"cert_configs": {"pkcs11": {"label": "k"}}}"#, "a \"module\""),
        (#"{"cert_configs": {"pkcs11": {"module": "/m.so", "label": "k", "slot": "zz"}}}"#, "\"slot\" must be a number"),
    ])
    func brokenConfig(_ content: String, _ expected: String) throws {
        let machine = try FakeMachine()
        let path = try machine.write(content, at: ".config/gcloud/certificate_config.json")
        let error = #expect(throws: GoogleAuthError.self) { try decide(machine) }
        #expect(error?.code == .malformedFile)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test("an unreadable config is an error, not a silent fallback", .enabled(if: getuid() != 0))
    func unreadableConfig() throws {
        let machine = try FakeMachine()
        try machine.write("{}", at: ".config/gcloud/certificate_config.json", mode: 0)
        #expect(throws: GoogleAuthError.self) { try decide(machine) }
    }

    @Test("the certificate config comes before SecureConnect (our order, like Python's)")
    func configBeforeSecureConnect() throws {
        let machine = try FakeMachine()
        let files = try machine.workloadFiles()
        try machine.workloadConfig(cert: files.cert, key: files.key)
        try machine.secureConnect(["/bin/false"])
        guard case .workload = try decide(machine).source?.kind else {
            Issue.record("expected the workload source")
            return
        }
    }

    @Test("SecureConnect metadata alone is a source; nothing is run until the identity is asked for (D.11 #60)")
    func secureConnectAlone() throws {
        let machine = try FakeMachine()
        let metadata = try machine.secureConnect(["/bin/false", "--print_certificate"])
        #expect(try decide(machine).source?.kind == .secureConnect(metadata: metadata, command: ["/bin/false", "--print_certificate"]))
    }

    @Test("SecureConnect metadata without a usable command is an error naming the file (D.6 #44)", arguments: [
        "{}", #"{"cert_provider_command": []}"#, #"{"cert_provider_command": "helper --print"}"#, "not json",
    ])
    func secureConnectBadMetadata(_ content: String) throws {
        let machine = try FakeMachine()
        let path = try machine.write(content, at: ".secureConnect/context_aware_metadata.json")
        let error = #expect(throws: GoogleAuthError.self) { try decide(machine) }
        #expect(error?.message.contains(path) == true)
    }

    @Test("no source at all means plain TLS, and the reasons say where we looked (D.6 #44)")
    func noSource() throws {
        var machine = try FakeMachine()
        machine.variables["GOOGLE_API_USE_CLIENT_CERTIFICATE"] = "true"
        let decision = try decide(machine)
        #expect(decision.source == nil)
        #expect(decision.reasons.last?.contains("plain TLS") == true)
        #expect(decision.reasons.contains { $0.contains("certificate_config.json") })
        #expect(decision.reasons.contains { $0.contains("context_aware_metadata.json") })
    }

    @Test("false turns certificates off, even one passed in code (D.2 #14, AIP-4114)")
    func disabledIgnoresExplicit() throws {
        var machine = try FakeMachine()
        machine.variables["GOOGLE_API_USE_CLIENT_CERTIFICATE"] = "false"
        let explicit = ClientCertificateSource.explicit(try TestPKI.shared.clientIdentity())
        let decision = try decide(machine, explicit: explicit)
        #expect(decision.source == nil)
        #expect(decision.reasons.first?.contains("ignored") == true)
    }

    @Test("a certificate passed in code wins over discovery (D.2 #14)")
    func explicitWins() throws {
        let machine = try FakeMachine()
        let files = try machine.workloadFiles()
        try machine.workloadConfig(cert: files.cert, key: files.key)
        let explicit = ClientCertificateSource.explicit(try TestPKI.shared.clientIdentity())
        #expect(try decide(machine, explicit: explicit).source?.kind == .explicit)
    }

    @Test("automatic use applies in googleapis.com only; explicit true applies anywhere (D.1 #11)", arguments: [
        (nil, "googleapis.com", true), (nil, "example.com", false), ("true", "example.com", true), ("false", "googleapis.com", false),
    ] as [(String?, String, Bool)])
    func universeAndEnablement(_ setting: String?, _ universe: String, _ used: Bool) throws {
        var machine = try FakeMachine()
        machine.variables["GOOGLE_API_USE_CLIENT_CERTIFICATE"] = setting
        let explicit = ClientCertificateSource.explicit(try TestPKI.shared.clientIdentity())
        let decision = try ClientCertificateDecision.decide(explicit: explicit, universeDomain: universe,
                                                            settings: MTLSSettings(environment: machine.environment),
                                                            environment: machine.environment)
        #expect((decision.source != nil) == used)
    }

    private func decide(_ machine: FakeMachine, explicit: ClientCertificateSource? = nil) throws -> ClientCertificateDecision {
        try ClientCertificateDecision.decide(explicit: explicit, universeDomain: "googleapis.com",
                                             settings: MTLSSettings(environment: machine.environment),
                                             environment: machine.environment)
    }
}

extension TestPKI {
    /// The shared client certificate as an identity.
    func clientIdentity() throws -> ClientIdentity {
        try ClientIdentity.pemFiles(certificate: path("client.pem"), privateKey: path("client.key"))
    }
}

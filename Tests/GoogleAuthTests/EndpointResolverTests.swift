import GoogleAuth
import Testing

/// The endpoint rules of Google's libraries (spec section D.3 and D.4), one row per vector.
@Suite("Endpoint choice")
struct EndpointResolverTests {
    static let service = ServiceEndpoints.named("iamcredentials")

    @Test("the default mTLS endpoint follows Google's rule (D.4 #25)", arguments: [
        ("", ""),
        ("example.googleapis.com", "example.mtls.googleapis.com"),
        ("example.mtls.googleapis.com", "example.mtls.googleapis.com"),
        ("example.sandbox.googleapis.com", "example.mtls.sandbox.googleapis.com"),
        ("example.mtls.sandbox.googleapis.com", "example.mtls.sandbox.googleapis.com"),
        ("api.example.com", "api.example.com"),
        ("aiplatform.us-central1.rep.googleapis.com", "aiplatform.us-central1.rep.googleapis.com"),
        ("https://oauth2.googleapis.com/token", "https://oauth2.mtls.googleapis.com/token"),
    ])
    func defaultMTLSEndpoint(_ input: String, _ expected: String) {
        #expect(EndpointResolver.mtlsEndpoint(for: input) == expected)
    }

    @Test("override, certificate, universe and mode pick the endpoint (D.3 #17)", arguments: [
        ("foo.com", true, "googleapis.com", MTLSSettings.EndpointMode.always, "foo.com"),
        (nil, true, "googleapis.com", .auto, "https://iamcredentials.mtls.googleapis.com/"),
        (nil, false, "googleapis.com", .auto, "https://iamcredentials.googleapis.com/"),
        (nil, false, "googleapis.com", .always, "https://iamcredentials.mtls.googleapis.com/"),
        (nil, true, "googleapis.com", .always, "https://iamcredentials.mtls.googleapis.com/"),
        (nil, false, "bar.com", .never, "https://iamcredentials.bar.com/"),
        (nil, false, "googleapis.com", .never, "https://iamcredentials.googleapis.com/"),
        (nil, true, "googleapis.com", .never, "https://iamcredentials.googleapis.com/"),
    ] as [(String?, Bool, String, MTLSSettings.EndpointMode, String)])
    func endpointTable(_ override: String?, _ certificate: Bool, _ universe: String, _ mode: MTLSSettings.EndpointMode,
                       _ expected: String) throws {
        let decision = try EndpointResolver.resolve(Self.service, override: override, universeDomain: universe,
                                                    clientCertificateInUse: certificate,
                                                    settings: MTLSSettings(endpointMode: mode))
        #expect(decision.endpoint == expected)
        #expect(decision.isMTLSEndpoint == expected.contains(".mtls."))
        #expect(!decision.reasons.isEmpty)
    }

    @Test("mTLS outside googleapis.com is refused with Google's text (D.3 #18)")
    func mtlsOutsideGoogleUniverse() {
        let error = #expect(throws: GoogleAuthError.self) {
            try EndpointResolver.resolve(Self.service, universeDomain: "bar.com", clientCertificateInUse: true,
                                         settings: MTLSSettings())
        }
        #expect(error?.code == .mtlsNotSupported)
        #expect(error?.message == "mTLS is not supported in any universe other than googleapis.com.")
    }

    @Test("the universe comes from the option, then the environment, then googleapis.com (D.3 #19)", arguments: [
        ("foo.com", "bar.com", "foo.com"),
        (nil, "bar.com", "bar.com"),
        (nil, nil, "googleapis.com"),
    ] as [(String?, String?, String)])
    func universeOrder(_ option: String?, _ environment: String?, _ expected: String) throws {
        let settings = MTLSSettings(environmentUniverse: environment)
        #expect(try settings.universeDomain(option: option).domain == expected)
    }

    @Test("an empty universe option is an error, an empty variable counts as unset (D.3 #19)")
    func emptyUniverse() throws {
        let error = #expect(throws: GoogleAuthError.self) { try MTLSSettings().universeDomain(option: " ") }
        #expect(error?.message == "Universe Domain cannot be an empty string.")
        let settings = try MTLSSettings(environment: AuthEnvironment(variables: ["GOOGLE_CLOUD_UNIVERSE_DOMAIN": ""],
                                                                     homeDirectory: "/nonexistent"))
        #expect(try settings.universeDomain(option: nil).domain == "googleapis.com")
    }

    @Test("GOOGLE_API_USE_MTLS_ENDPOINT is trimmed and case-insensitive (D.3 #24)", arguments: [
        ("always", MTLSSettings.EndpointMode.always), ("never", .never), ("auto", .auto),
        ("ALWAYS", .always), ("NEVER", .never), ("AUTO", .auto), (" Always ", .always), ("", .auto),
    ])
    func endpointModeParsing(_ value: String, _ expected: MTLSSettings.EndpointMode) throws {
        let environment = AuthEnvironment(variables: ["GOOGLE_API_USE_MTLS_ENDPOINT": value], homeDirectory: "/nonexistent")
        #expect(try MTLSSettings(environment: environment).endpointMode == expected)
    }

    @Test("an unsupported GOOGLE_API_USE_MTLS_ENDPOINT names the value and the accepted ones (D.3 #24)")
    func endpointModeInvalid() {
        let environment = AuthEnvironment(variables: ["GOOGLE_API_USE_MTLS_ENDPOINT": "invalid_value"],
                                          homeDirectory: "/nonexistent")
        let error = #expect(throws: GoogleAuthError.self) { try MTLSSettings(environment: environment) }
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.message == "Unsupported GOOGLE_API_USE_MTLS_ENDPOINT value 'invalid_value'. Accepted values: never, auto, always.")
    }

    @Test("a service's own mTLS endpoint (from Discovery) is used as given, not derived")
    func explicitServiceEndpoints() throws {
        let storage = ServiceEndpoints(template: "https://storage.UNIVERSE_DOMAIN/storage/v1/",
                                       mtls: "https://storage.mtls.googleapis.com/storage/v1/")
        let decision = try EndpointResolver.resolve(storage, clientCertificateInUse: true, settings: MTLSSettings())
        #expect(decision.endpoint == "https://storage.mtls.googleapis.com/storage/v1/")
        #expect(storage.defaultHost == "storage.googleapis.com")
    }
}

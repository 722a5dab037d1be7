import Testing
@testable import GoogleAPIGeneratorKit

@Suite struct IdentifierTests {
    @Test(arguments: [
        ("storage", "Storage"), ("cloudresourcemanager", "Cloudresourcemanager"), ("hmacKeys", "HmacKeys"),
        ("tiny-api", "TinyApi"), ("v2", "V2"), ("3d", "_3d"), ("", "Unnamed"),
    ])
    func upperCamel(_ input: String, _ expected: String) {
        #expect(Identifiers.upperCamel(input) == expected)
    }

    @Test(arguments: [
        ("name", "name"), ("snake_case", "snake_case"), ("@type", "type"), ("content-type", "contentType"),
        ("options.requestedPolicyVersion", "optionsRequestedPolicyVersion"), ("123start", "_123start"),
        ("$.xgafv", "xgafv"), ("Foo", "Foo"),
    ])
    func lowerCamel(_ input: String, _ expected: String) {
        #expect(Identifiers.lowerCamel(input) == expected)
    }

    @Test(arguments: [
        ("STATE_UNSPECIFIED", "stateUnspecified"), ("projectPrivate", "projectPrivate"),
        ("RSA_SIGN_PSS_2048_SHA256", "rsaSignPss2048Sha256"), ("3D", "_3d"), ("with-dash", "withDash"),
        ("URLPath", "urlPath"), ("Foo", "foo"), ("", "empty"),
    ])
    func enumMembers(_ input: String, _ expected: String) {
        #expect(Identifiers.enumMember(input) == expected)
    }

    @Test func keywordsAreBacktickedAndOthersNot() {
        #expect(Identifiers.escaped("default") == "`default`")
        #expect(Identifiers.escaped("protocol") == "`protocol`")
        #expect(Identifiers.escaped("import") == "`import`")
        #expect(Identifiers.escaped("name") == "name")
    }

    @Test func scopesHandOutUniqueNames() {
        var scope = NameScope(reserved: ["client"])
        #expect(scope.claim("client") == "client_")
        #expect(scope.claim("name") == "name")
        #expect(scope.claim("name") == "name_")
        #expect(scope.claimMember("self") == "self_")
        #expect(scope.claimMember("init") == "init_")
        #expect(scope.claimType("Name", alternative: "WidgetName") == "Name")
        #expect(scope.claimType("Name", alternative: "WidgetName") == "WidgetName")
    }

    @Test func exactNamesWinOverDerivedOnes() {
        var scope = NameScope()
        let names = scope.claimMembers(for: ["@type", "type"], derive: Identifiers.lowerCamel)
        #expect(names == ["type": "type", "@type": "type_"])
    }

    @Test func literalsAndDocTextAreEscaped() {
        #expect(SwiftLiteral.string("a\"b\\c\n") == #""a\"b\\c\n""#)
        #expect(DocText.code("a`b") == "`ab`")
        #expect(DocText.shortScope("https://www.googleapis.com/auth/cloud-platform") == "cloud-platform")
        #expect(DocText.shortScope("https://example.com/auth/x") == "https://example.com/auth/x")
    }
}

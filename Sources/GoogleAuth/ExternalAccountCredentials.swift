import FoundationEssentials
import MTLS

/// `external_account` with an X.509 `certificate` credential source (workload identity
/// federation): the workload certificate chain is the subject token, exchanged at STS over mTLS
/// with that same certificate; then optionally impersonation. URLs come from the file verbatim.
enum ExternalAccountCredentials {
    static func make(_ file: CredentialsFile, options: CredentialsOptions, environment: AuthEnvironment) throws -> GoogleCredentials {
        let audience = try file.require("audience")
        guard let credentialSource = file.json["credential_source"]?.object else {
            throw GoogleAuthError(.malformedFile, "the credentials in \(file.source) lack the \"credential_source\" object")
        }
        guard let certificate = credentialSource["certificate"] else {
            let kinds = credentialSource.keys.sorted().joined(separator: ", ")
            throw GoogleAuthError(.unsupportedCredentials, "the external_account credentials in \(file.source) use a "
                                  + "credential source (\(kinds)) this SDK does not support; supported: certificate (X.509)")
        }
        let identity = try workloadSource(certificate, file: file, environment: environment)
        let trustChain = credentialSource["certificate"]?["trust_chain_path"]?.string
        let tokenURL = file.optional("token_url") ?? "https://sts.\(file.universeDomain)/v1/token"
        let impersonationURL = file.optional("service_account_impersonation_url")
        let subjectTokenType = file.optional("subject_token_type") ?? "urn:ietf:params:oauth:token-type:mtls"
        let endpoint = try TokenEndpoint(options: options, identity: identity)
        let scopes = options.scopes
        let stsScopes = impersonationURL == nil ? scopes : ["https://www.googleapis.com/auth/cloud-platform"]
        return GoogleCredentials(kind: .externalAccount(audience: audience), details: file.details, endpoints: [endpoint]) {
            let subject = try subjectToken(try await identity.identity(), trustChainPath: trustChain)
            let json = try await endpoint.postForm(tokenURL, [
                ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"), ("audience", audience),
                ("scope", stsScopes.joined(separator: " ")),
                ("requested_token_type", "urn:ietf:params:oauth:token-type:access_token"),
                ("subject_token", subject), ("subject_token_type", subjectTokenType)])
            let federated = try AccessToken.oauth(json, from: tokenURL)
            guard let impersonationURL else { return federated }
            return try await ImpersonatedCredentials.generateAccessToken(endpoint, url: impersonationURL, bearer: federated.value,
                                                                         scopes: scopes, delegates: [])
        }
    }

    /// The workload certificate the `certificate` credential source points at.
    static func workloadSource(_ certificate: JSONValue, file: CredentialsFile,
                               environment: AuthEnvironment) throws -> ClientCertificateSource {
        let useDefault = certificate["use_default_certificate_config"]?.bool ?? false
        let location = certificate["certificate_config_location"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        if useDefault && location != nil {
            throw GoogleAuthError(.malformedFile, "Invalid certificate configuration, certificate_config_location cannot be "
                                  + "specified when use_default_certificate_config = true. (in \(file.source))")
        }
        guard useDefault || location != nil else {
            throw GoogleAuthError(.malformedFile, "Invalid certificate configuration, use_default_certificate_config should be "
                                  + "true if no certificate_config_location is provided. (in \(file.source))")
        }
        let path = location.map(environment.expand) ?? CertificateConfig.location(environment).path
        guard let config = try CertificateConfig.load(path) else {
            throw GoogleAuthError(.credentialsNotFound, "the certificate config \(path) used by \(file.source) does not exist")
        }
        guard let workload = try config.workload() else {
            throw GoogleAuthError(.malformedFile, "Certificate config file \(path) is in an invalid format, a \"workload\" "
                                  + "cert config is expected (used by \(file.source))")
        }
        return .workload(workload, config: path)
    }

    /// A JSON array of standard base64 DER certificates, leaf first, then the trust chain file's.
    static func subjectToken(_ identity: ClientIdentity, trustChainPath: String?) throws -> String {
        var chain = identity.certificateChain
        if let trustChainPath {
            do {
                let extra = try Certificate.parseChain(pem: Array(try ConfigFile.read(trustChainPath, what: "trust chain file") ?? []),
                                                       source: trustChainPath)
                chain += extra.filter { !chain.contains($0) }
            } catch let error as TLSError {
                throw GoogleAuthError(.clientCertificate, "the trust chain \(trustChainPath) cannot be read: \(error.message)")
            }
        }
        let encoded = chain.map { "\"" + Data($0.der).base64EncodedString() + "\"" }
        return "[" + encoded.joined(separator: ",") + "]"
    }
}

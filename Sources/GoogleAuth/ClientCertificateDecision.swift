import MTLS

/// Whether a client certificate is used, which source provides it, and why.
///
/// Follows Google's libraries: `GOOGLE_API_USE_CLIENT_CERTIFICATE=false` means none, not even one
/// passed in code; unset means "automatic": on in the googleapis.com universe when a source is
/// found. With no source found the client uses plain TLS, and `reasons` says so.
public struct ClientCertificateDecision: Sendable {
    /// The source to use; nil means plain TLS (no client certificate).
    public let source: ClientCertificateSource?
    /// Each step of the decision in words, for diagnostics.
    public let reasons: [String]

    /// Decides for a client in `universeDomain`. `explicit` is a source the caller passed.
    /// Throws when a configuration file exists but is malformed or unreadable.
    public static func decide(explicit: ClientCertificateSource? = nil, universeDomain: String,
                              settings: MTLSSettings, environment: AuthEnvironment,
                              providerTimeout: Duration = .seconds(30)) throws -> ClientCertificateDecision {
        let setting = settings.clientCertificateUseSource ?? "GOOGLE_API_USE_CLIENT_CERTIFICATE unset (automatic)"
        switch settings.clientCertificateUse {
        case .disabled:
            return ClientCertificateDecision(source: nil, reasons: ["no client certificate: \(setting)"
                + (explicit == nil ? "" : " (the certificate passed in code is ignored)")])
        case .auto where universeDomain != MTLSSettings.defaultUniverse:
            return ClientCertificateDecision(source: nil, reasons: [
                "no client certificate: \(setting), and automatic client certificates apply only in googleapis.com, "
                + "not \(universeDomain)"])
        case .auto, .enabled:
            if let explicit {
                return ClientCertificateDecision(source: explicit, reasons: ["client certificate passed in code (\(setting))"])
            }
            var (source, reasons) = try ClientCertificateSource.discover(environment: environment, providerTimeout: providerTimeout)
            reasons.append(source.map { "client certificate from \($0) (\(setting))" }
                           ?? "no client certificate source found: plain TLS (\(setting))")
            return ClientCertificateDecision(source: source, reasons: reasons)
        }
    }
}

extension ClientCertificateSource {
    /// The default source, in order: the certificate config (`workload`, then `pkcs11`), then
    /// SecureConnect. A missing file means "try the next"; a file that exists but is malformed or
    /// unreadable is an error naming it. Nothing is run or loaded yet.
    public static func discover(environment: AuthEnvironment = .process,
                                providerTimeout: Duration = .seconds(30)) throws -> (source: ClientCertificateSource?, reasons: [String]) {
        var reasons: [String] = []
        let (path, setting) = CertificateConfig.location(environment)
        if let config = try CertificateConfig.load(path) {
            if let workload = try config.workload() {
                return (.workload(workload, config: path), reasons)
            }
            if let pkcs11 = try config.pkcs11() {
                return (.pkcs11(pkcs11, config: path), reasons)
            }
            reasons.append("certificate config \(path) (\(setting)) has neither a workload nor a pkcs11 section")
        } else {
            reasons.append("no certificate config at \(path) (\(setting))")
        }
        let metadata = SecureConnect.metadataPath(environment)
        if let command = try SecureConnect.command(metadataPath: metadata) {
            return (.secureConnect(command: command, metadata: metadata, timeout: providerTimeout), reasons)
        }
        reasons.append("no SecureConnect metadata at \(metadata)")
        return (nil, reasons)
    }

    static func workload(_ workload: CertificateConfig.Workload, config: String,
                         mismatchRetry: (attempts: Int, delay: Duration) = (4, .seconds(5))) -> ClientCertificateSource {
        ClientCertificateSource(kind: .workload(config: config, certificate: workload.certificatePath, key: workload.keyPath),
                                mismatchRetry: mismatchRetry) {
            try loading("the workload certificate named by \(config)") {
                try ClientIdentity.pemFiles(certificate: workload.certificatePath, privateKey: workload.keyPath)
            }
        }
    }

    static func pkcs11(_ pkcs11: CertificateConfig.PKCS11, config: String) -> ClientCertificateSource {
        ClientCertificateSource(kind: .pkcs11(config: config, module: pkcs11.module, slot: pkcs11.slot, label: pkcs11.label)) {
            try loading("the PKCS#11 key named by \(config)") {
                try ClientIdentity.pkcs11(slot: pkcs11.slot, label: pkcs11.label, pin: pkcs11.userPIN, module: pkcs11.module)
            }
        }
    }

    static func secureConnect(command: [String], metadata: String, timeout: Duration) -> ClientCertificateSource {
        ClientCertificateSource(kind: .secureConnect(metadata: metadata, command: command)) {
            var output = try CommandRunner.run(command, timeout: timeout)
            defer { output.stdout.zeroize() }
            guard output.status == 0 else {
                let detail = SecureConnect.diagnostic(output.stderr)
                throw GoogleAuthError(.certificateProvider, "the certificate provider command \(command[0]) (from \(metadata)) "
                                      + "exited with status \(output.status)" + (detail.isEmpty ? "" : ": \(detail)"))
            }
            var parsed = try SecureConnect.Output.parse(output.stdout, expectEncryptedKey: command.contains("--with_passphrase"))
            defer { parsed.key.zeroize() }
            return try loading("the certificate printed by \(command[0])") {
                try ClientIdentity.pem(certificateChain: parsed.chain, privateKey: parsed.key, passphrase: parsed.passphrase)
            }
        }
    }

    /// Runs `body`, turning TLS loading errors into errors that say which source failed.
    private static func loading(_ what: String, _ body: () throws -> ClientIdentity) throws -> ClientIdentity {
        do {
            return try body()
        } catch let error as TLSError {
            throw GoogleAuthError(error.code == .keyMismatch ? .keyMismatch : .clientCertificate,
                                  "\(what) cannot be used: \(error.message)")
        }
    }
}

/// gcloud's `certificate_config.json`: where workload certificates live (`cert_configs.workload`)
/// or which PKCS#11 token holds the device key (`cert_configs.pkcs11`, as enterprise-certificate-proxy
/// writes it).
struct CertificateConfig: Sendable, Hashable {
    /// A workload certificate and key in PEM files (AIP-4118).
    struct Workload: Sendable, Hashable {
        var certificatePath: String
        var keyPath: String
    }

    /// A key in a PKCS#11 token: the module to load, the slot, the object label and the user PIN.
    struct PKCS11: Sendable, Hashable {
        var module: String
        var slot: UInt64?
        var label: String
        var userPIN: String?
    }

    let path: String
    private let sections: [String: JSONValue]

    /// Whether `cert_configs` has a `workload` key at all (what Google's auto-enablement checks).
    var hasWorkloadSection: Bool { sections["workload"] != nil }
    /// Whether `cert_configs` has a `pkcs11` key.
    var hasPKCS11Section: Bool { sections["pkcs11"] != nil }

    /// The workload section, checked; nil when there is none.
    func workload() throws -> Workload? { try sections["workload"].map { try Self.workload($0, path) } }

    /// The pkcs11 section, checked; nil when there is none.
    func pkcs11() throws -> PKCS11? { try sections["pkcs11"].map { try Self.pkcs11($0, path) } }

    /// The file's path, and the setting that chose it: `GOOGLE_API_CERTIFICATE_CONFIG`, then
    /// `CLOUDSDK_CONTEXT_AWARE_CERTIFICATE_CONFIG_FILE_PATH`, then gcloud's default. Only the first
    /// that is set is considered.
    static func location(_ environment: AuthEnvironment) -> (path: String, source: String) {
        if let (name, value) = environment.first("GOOGLE_API_CERTIFICATE_CONFIG",
                                                 "CLOUDSDK_CONTEXT_AWARE_CERTIFICATE_CONFIG_FILE_PATH") {
            return (environment.expand(value), name)
        }
        return (environment.home(".config/gcloud/certificate_config.json"), "gcloud's default path")
    }

    /// The config at `path`; nil when the file does not exist.
    static func load(_ path: String) throws -> CertificateConfig? {
        guard let json = try ConfigFile.json(path, what: "certificate config") else { return nil }
        guard let configs = json["cert_configs"]?.object else {
            throw invalid(path, "a \"cert configs\" object is expected")
        }
        return CertificateConfig(path: path, sections: configs)
    }

    private static func invalid(_ path: String, _ detail: String) -> GoogleAuthError {
        GoogleAuthError(.malformedFile, "Certificate config file \(path) is in an invalid format, \(detail)")
    }

    private static func workload(_ section: JSONValue, _ path: String) throws -> Workload {
        guard let cert = section["cert_path"]?.string, !cert.isEmpty else {
            throw invalid(path, "a \"cert_path\" is expected in the workload cert config")
        }
        guard let key = section["key_path"]?.string, !key.isEmpty else {
            throw invalid(path, "a \"key_path\" is expected in the workload cert config")
        }
        return Workload(certificatePath: cert, keyPath: key)
    }

    private static func pkcs11(_ section: JSONValue, _ path: String) throws -> PKCS11 {
        guard let module = section["module"]?.string, !module.isEmpty else {
            throw invalid(path, "a \"module\" (the PKCS#11 library path) is expected in the pkcs11 cert config")
        }
        guard let label = section["label"]?.string, !label.isEmpty else {
            throw invalid(path, "a \"label\" (the key's object label) is expected in the pkcs11 cert config")
        }
        var slot: UInt64?
        if let value = section["slot"] {
            slot = value.number.flatMap { $0 >= 0 && $0 == $0.rounded() ? UInt64($0) : nil } ?? value.string.flatMap(parseSlot)
            guard slot != nil else {
                throw invalid(path, "the pkcs11 \"slot\" must be a number, decimal or 0x-prefixed hex")
            }
        }
        return PKCS11(module: module, slot: slot, label: label, userPIN: section["user_pin"]?.string)
    }

    private static func parseSlot(_ text: String) -> UInt64? {
        let lower = text.lowercased()
        return lower.hasPrefix("0x") ? UInt64(lower.dropFirst(2), radix: 16) : UInt64(lower)
    }
}

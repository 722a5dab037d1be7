#if canImport(Glibc)
import Glibc
#endif
@testable import GoogleAuth

/// `certificate_config.json` and `context_aware_metadata.json`, read from a file as in use.
enum ConfigFileTargets {
    static func certificateConfig(_ bytes: [UInt8]) {
        let path = write(bytes)
        guard let config = try? CertificateConfig.load(path) else { return }
        _ = (config.hasWorkloadSection, config.hasPKCS11Section)
        _ = try? config.workload()
        _ = try? config.pkcs11()
    }

    static func secureConnectMetadata(_ bytes: [UInt8]) {
        _ = try? SecureConnect.command(metadataPath: write(bytes))
    }

    /// Writes the input to this process's scratch file and returns its path.
    private static func write(_ bytes: [UInt8]) -> String {
        let path = "/tmp/gmtls-fuzz-\(getpid()).json"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot write \(path)")
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return path
    }
}

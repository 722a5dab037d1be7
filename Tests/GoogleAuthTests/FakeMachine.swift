import Foundation
import Glibc
import GoogleAuth
import MTLS
import TestSupport

/// A made-up machine for discovery tests: a fresh home directory, files written into it, and
/// environment variables, without touching the test process's own.
struct FakeMachine {
    let home: URL
    var variables: [String: String] = [:]

    init() throws {
        home = try TestPKI.shared.scratch("home")
    }

    var environment: AuthEnvironment { AuthEnvironment(variables: variables, homeDirectory: home.path) }

    /// Writes `text` at `relative` under the home directory (directories made as needed); returns the path.
    @discardableResult
    func write(_ text: String, at relative: String, mode: Int = 0o644) throws -> String {
        let url = home.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
        return url.path
    }

    /// A client certificate and key from the test CA, written under the home directory.
    func workloadFiles(_ name: String = "workload", commonName: String = "workload") throws -> (cert: String, key: String, issued: IssuedCertificate) {
        let issued = try TestPKI.shared.authority.makeClientCertificate(commonName: commonName)
        let directory = home.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cert = directory.appendingPathComponent("certificates.pem").path
        let key = directory.appendingPathComponent("private_key.pem").path
        try issued.write(certificateTo: cert, keyTo: key)
        return (cert, key, issued)
    }

    /// A certificate config with a workload section for `files`, at `relative`.
    @discardableResult
    func workloadConfig(cert: String, key: String, at relative: String = ".config/gcloud/certificate_config.json") throws -> String {
        try write(#"{"version": 1, "cert_configs": {"workload": {"cert_path": "\#(cert)", "key_path": "\#(key)"}}}"#, at: relative)
    }

    /// An executable script under the home directory (run as argv by the SDK, found by its shebang).
    ///
    /// Written through a close-on-exec descriptor: a process another test forks meanwhile must not
    /// inherit it open for writing, or running the script fails with "Text file busy".
    func script(_ body: String, named name: String) throws -> String {
        let url = home.appendingPathComponent("bin/\(name)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        let bytes = Array(("#!/bin/sh\n" + body + "\n").utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw CocoaError(.fileWriteUnknown)
        }
        return url.path
    }

    /// SecureConnect metadata whose provider command is `argv`.
    @discardableResult
    func secureConnect(_ argv: [String]) throws -> String {
        let list = argv.map { "\"\($0)\"" }.joined(separator: ",")
        return try write(#"{"cert_provider_command": [\#(list)], "device_resource_ids": ["11111111-1111-1111"]}"#,
                         at: ".secureConnect/context_aware_metadata.json")
    }
}

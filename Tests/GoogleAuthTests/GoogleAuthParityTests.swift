import Foundation
import GoogleAuth
import MTLS
import TestSupport
import Testing

/// On the same fake HOME and environment, Google's Python library (google-auth, installed by
/// `make test`) and this SDK pick the same client certificate and the same kind of endpoint.
/// Scenarios are those where "Our behaviour" in the spec agrees with Python by design.
@Suite("Parity with google-auth (Python)")
struct GoogleAuthParityTests {
    enum Setup: String, CaseIterable, Sendable {
        case nothing, gcloudDefaultConfig, configVariable, configVariableOff, configVariableNeverMTLS, alwaysMTLS,
             cloudSDKConfigVariable, secureConnectEnabled, secureConnectAndConfig
    }

    @Test("the SDK and google-auth agree on certificate and endpoint", arguments: Setup.allCases)
    func sameDecision(_ setup: Setup) async throws {
        let machine = try prepare(setup)
        let python = try await pythonDecision(machine)
        let resolution = try ServiceResolution.resolve(.named("pubsub"), environment: machine.environment)
        let fingerprint = try await resolution.certificate.source?.identity().certificate.sha256Fingerprint
        let pythonFingerprint = python["use_client_cert"] as? Bool == true ? python["client_cert_sha256"] as? String : nil
        #expect(fingerprint == pythonFingerprint, "google-auth \(python)")
        #expect(resolution.endpoint.isMTLSEndpoint == (python["use_mtls_endpoint"] as? Bool), "google-auth \(python)")
        #expect(resolution.endpoint.endpoint == (resolution.endpoint.isMTLSEndpoint ? "https://pubsub.mtls.googleapis.com/"
                                                                                      : "https://pubsub.googleapis.com/"))
    }

    private func prepare(_ setup: Setup) throws -> FakeMachine {
        var machine = try FakeMachine()
        let files = try machine.workloadFiles()
        let other = try machine.workloadFiles("device", commonName: "device")
        let config = { try machine.workloadConfig(cert: files.cert, key: files.key, at: "configs/certificate_config.json") }
        switch setup {
        case .nothing: break
        case .gcloudDefaultConfig: try machine.workloadConfig(cert: files.cert, key: files.key)
        case .configVariable: machine.variables["GOOGLE_API_CERTIFICATE_CONFIG"] = try config()
        case .configVariableOff:
            machine.variables["GOOGLE_API_CERTIFICATE_CONFIG"] = try config()
            machine.variables["GOOGLE_API_USE_CLIENT_CERTIFICATE"] = "false"
        case .configVariableNeverMTLS:
            machine.variables["GOOGLE_API_CERTIFICATE_CONFIG"] = try config()
            machine.variables["GOOGLE_API_USE_MTLS_ENDPOINT"] = "never"
        case .alwaysMTLS: machine.variables["GOOGLE_API_USE_MTLS_ENDPOINT"] = "always"
        case .cloudSDKConfigVariable: machine.variables["CLOUDSDK_CONTEXT_AWARE_CERTIFICATE_CONFIG_FILE_PATH"] = try config()
        case .secureConnectEnabled, .secureConnectAndConfig:
            let pem = try machine.write(try String(contentsOfFile: other.cert, encoding: .utf8)
                                        + String(contentsOfFile: other.key, encoding: .utf8), at: "device.pem")
            try machine.secureConnect([try machine.script("cat \(pem)", named: "helper"), "--print_certificate"])
            machine.variables["GOOGLE_API_USE_CLIENT_CERTIFICATE"] = "true"
            if setup == .secureConnectAndConfig { machine.variables["GOOGLE_API_CERTIFICATE_CONFIG"] = try config() }
        }
        return machine
    }

    /// What google_auth_decisions.py prints for this machine (only its variables, HOME and PATH set).
    private func pythonDecision(_ machine: FakeMachine) async throws -> [String: Any] {
        let script = FaultServer.scriptPath.replacingOccurrences(of: "h2_fault_server.py", with: "google_auth_decisions.py")
        let environment = machine.variables.merging(["HOME": machine.home.path,
                                                     "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]) { $1 }
        let (_, text) = try await launch("/usr/bin/env", ["python3", script], environment: environment)
        let json = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }).map(String.init) ?? "{}"
        return try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
    }
}

// libFuzzer entry point: one binary, the target chosen by FUZZ_TARGET (scripts/fuzz.sh sets it).
// Built only with GMTLS_FUZZ=1 and `--sanitize=fuzzer --sanitize=address` (debug, so the
// `@testable` imports in the targets see the parsers' internal entry points).
#if canImport(Glibc)
import Glibc
#endif

/// The parsers that read outside input, by name.
let targets: [String: @Sendable ([UInt8]) -> Void] = [
    "pem": PEMTarget.run,
    "certificate-config": ConfigFileTargets.certificateConfig,
    "secureconnect-metadata": ConfigFileTargets.secureConnectMetadata,
    "credentials": CredentialsTarget.run,
    "discovery": DiscoveryTarget.run,
    "error-envelope": ErrorEnvelopeTarget.run,
    "response-head": ResponseHeadTarget.run,
    "storage-models": StorageModelsTarget.run,
    "network-config": NetworkConfigTarget.run,
    "http1-exchange": HTTP1ExchangeTarget.run,
]

/// The target named by FUZZ_TARGET; the process stops with the list when it is missing or unknown.
let selected: @Sendable ([UInt8]) -> Void = {
    let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = targets[name] else {
        let line = "FUZZ_TARGET must be one of: \(targets.keys.sorted().joined(separator: ", "))\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

// swift-tools-version:6.0
// The Swift SDK for calling Google APIs over mutual TLS on Linux.
// Layers (arrows point down only): gmtls, GoogleAPIEmulator -> GoogleAuth -> HTTP2 -> MTLS -> CGnuTLS / CNGHTTP2 / CLinux. See ../shared/DESIGN.md.
// No package dependency outside the toolchain: `make test` checks that this stays so.
import PackageDescription

let package = Package(
    name: "swift-google-mtls",
    products: [
        .library(name: "MTLS", targets: ["MTLS"]),
        .library(name: "HTTP2", targets: ["HTTP2"]),
        .library(name: "GoogleAuth", targets: ["GoogleAuth"]),
        .library(name: "GoogleAPICore", targets: ["GoogleAPICore"]),
        .library(name: "GoogleAPIEmulator", targets: ["GoogleAPIEmulator"]),
        .library(name: "GoogleStorage", targets: ["GoogleStorage"]),
        .library(name: "GooglePubsub", targets: ["GooglePubsub"]),
        .library(name: "GoogleSecretmanager", targets: ["GoogleSecretmanager"]),
        .library(name: "GoogleCloudkms", targets: ["GoogleCloudkms"]),
        .library(name: "GoogleIamcredentials", targets: ["GoogleIamcredentials"]),
        .library(name: "GoogleCloudresourcemanager", targets: ["GoogleCloudresourcemanager"]),
        .library(name: "GoogleLogging", targets: ["GoogleLogging"]),
        .executable(name: "GoogleAPIGenerator", targets: ["GoogleAPIGenerator"]),
        .executable(name: "emulator", targets: ["Emulator"]),
        .executable(name: "gmtls", targets: ["GMTLS"]),
        .executable(name: "tls-handshake", targets: ["TLSHandshake"]),
        .executable(name: "emulator-demo", targets: ["EmulatorDemo"]),
        .executable(name: "storage-example", targets: ["StorageExample"]),
        .executable(name: "pubsub-example", targets: ["PubSubExample"]),
        .executable(name: "secret-example", targets: ["SecretExample"]),
        .executable(name: "kms-example", targets: ["KMSExample"]),
        .executable(name: "projects-example", targets: ["ProjectsExample"]),
        .executable(name: "logging-example", targets: ["LoggingExample"]),
        .executable(name: "token-example", targets: ["TokenExample"]),
        .executable(name: "h2bench", targets: ["H2Bench"]),
        .executable(name: "soak", targets: ["Soak"]),
    ],
    targets: [
        .systemLibrary(
            name: "CGnuTLS",
            pkgConfig: "gnutls",
            providers: [.apt(["libgnutls28-dev"])]
        ),
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .systemLibrary(name: "CLinux"),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "MTLS",
            dependencies: ["CGnuTLS", "CLinux"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "HTTP2",
            dependencies: ["MTLS", "CNGHTTP2", "CZlib"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleAuth",
            dependencies: ["HTTP2", "MTLS"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleAPICore",
            dependencies: ["GoogleAuth", "HTTP2", "MTLS"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Generated from Discovery documents by GoogleAPIGenerator (scripts/generate.sh): one module per API.
        .target(
            name: "GoogleStorage",
            dependencies: ["GoogleAPICore"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GooglePubsub",
            dependencies: ["GoogleAPICore"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleSecretmanager",
            dependencies: ["GoogleAPICore"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleCloudkms",
            dependencies: ["GoogleAPICore"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleIamcredentials",
            dependencies: ["GoogleAPICore"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleCloudresourcemanager",
            dependencies: ["GoogleAPICore"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleLogging",
            dependencies: ["GoogleAPICore"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleAPIGeneratorKit",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "GoogleAPIGenerator",
            dependencies: ["GoogleAPIGeneratorKit"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleAPIGeneratorWidgetsFixture",
            dependencies: ["GoogleAPICore"],
            path: "Tests/GoogleAPIGeneratorTests/Fixtures/Golden/GoogleWidgets",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleAPIGeneratorTinyFixture",
            dependencies: ["GoogleAPICore"],
            path: "Tests/GoogleAPIGeneratorTests/Fixtures/Golden/TinyAPI",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "GoogleAPIEmulator",
            dependencies: ["HTTP2", "MTLS"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "Emulator",
            dependencies: ["GoogleAPIEmulator"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "GMTLS",
            dependencies: ["GoogleAuth", "HTTP2", "MTLS"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "Soak",
            dependencies: ["GoogleAPIEmulator", "GooglePubsub", "GoogleSecretmanager", "GoogleAPICore", "GoogleAuth", "MTLS", "CLinux"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "H2Bench",
            dependencies: ["HTTP2", "MTLS"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "StorageExample",
            dependencies: ["GoogleStorage", "GoogleAPICore"],
            path: "Examples/StorageExample",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "PubSubExample",
            dependencies: ["GooglePubsub", "GoogleAPICore"],
            path: "Examples/PubSubExample",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "SecretExample",
            dependencies: ["GoogleSecretmanager", "GoogleAPICore"],
            path: "Examples/SecretExample",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "KMSExample",
            dependencies: ["GoogleCloudkms", "GoogleAPICore"],
            path: "Examples/KMSExample",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "ProjectsExample",
            dependencies: ["GoogleCloudresourcemanager", "GoogleAPICore"],
            path: "Examples/ProjectsExample",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "LoggingExample",
            dependencies: ["GoogleLogging", "GoogleAPICore"],
            path: "Examples/LoggingExample",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "TokenExample",
            dependencies: ["GoogleIamcredentials", "GoogleAPICore"],
            path: "Examples/TokenExample",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "EmulatorDemo",
            dependencies: ["GoogleAPIEmulator", "GoogleAuth", "HTTP2", "MTLS"],
            path: "Examples/EmulatorDemo",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "TLSHandshake",
            dependencies: ["MTLS"],
            path: "Examples/TLSHandshake",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "TestSupport",
            dependencies: ["MTLS"],
            path: "Tests/TestSupport",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "MTLSTests",
            dependencies: ["MTLS", "TestSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "HTTP2Tests",
            dependencies: ["HTTP2", "MTLS", "TestSupport", "CZlib"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "GeneratedClientsTests",
            dependencies: ["GoogleStorage", "GooglePubsub", "GoogleSecretmanager", "GoogleCloudkms", "GoogleIamcredentials",
                           "GoogleCloudresourcemanager", "GoogleLogging", "GoogleAPICore", "GoogleAPIEmulator",
                           "GoogleAuth", "MTLS", "TestSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "GoogleAPIGeneratorTests",
            dependencies: ["GoogleAPIGeneratorKit", "GoogleAPIGeneratorWidgetsFixture", "GoogleAPIGeneratorTinyFixture", "GoogleAPICore"],
            exclude: ["Fixtures"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "GoogleAPICoreTests",
            dependencies: ["GoogleAPICore", "GoogleAPIEmulator", "GoogleStorage", "GoogleAuth", "MTLS", "TestSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "GoogleAPIEmulatorTests",
            dependencies: ["GoogleAPIEmulator", "GoogleAPICore", "GoogleAuth", "HTTP2", "MTLS", "TestSupport", "GMTLS"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "GoogleAuthTests",
            dependencies: ["GoogleAuth", "HTTP2", "MTLS", "TestSupport"],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

// libFuzzer targets (scripts/fuzz.sh, `make check-deep`): only with GMTLS_FUZZ=1, built with
// `--sanitize=fuzzer`, because libFuzzer supplies their `main`.
if Context.environment["GMTLS_FUZZ"] == "1" {
    package.products.append(.executable(name: "fuzz", targets: ["Fuzz"]))
    package.targets.append(.executableTarget(
        name: "Fuzz",
        dependencies: ["GoogleAuth", "GoogleAPICore", "GoogleAPIGeneratorKit", "GoogleStorage", "HTTP2", "MTLS"],
        path: "Fuzz/Targets",
        swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]
    ))
}

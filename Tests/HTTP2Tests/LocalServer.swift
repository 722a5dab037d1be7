import HTTP2
import MTLS
import TestSupport

/// Our own HTTP/2 server on loopback with the test PKI, and a client that reaches it for any name.
enum LocalServer {
    static func start(_ policy: TLSServerConfiguration.ClientCertificatePolicy = .request,
                      handler: @escaping HTTP2Server.Handler) async throws -> HTTP2Server {
        let pki = TestPKI.shared
        let identity = try ClientIdentity.pemFiles(certificate: pki.path("server.pem"), privateKey: pki.path("server.key"))
        return try await HTTP2Server.start(tls: TLSServerConfiguration(identity: identity, clientTrustRoots: pki.trustRoots,
                                                                       clientCertificates: policy), handler: handler)
    }

    static func client(for server: HTTP2Server, identity: ClientIdentity? = nil,
                       configure: (inout HTTPClient.Configuration) -> Void = { _ in }) throws -> HTTPClient {
        var configuration = HTTPClient.Configuration(tls: TestPKI.shared.configuration(identity: identity),
                                                     connectTo: [ConnectTo(host: nil, port: nil, targetHost: "127.0.0.1",
                                                                           targetPort: server.port)])
        configure(&configuration)
        return try HTTPClient(configuration: configuration)
    }
}

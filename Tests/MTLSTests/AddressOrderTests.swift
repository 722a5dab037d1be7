import Foundation
@testable import MTLS
import TestSupport
import Testing

@Suite("Every resolved address is tried in turn")
struct AddressOrderTests {
    let pki = TestPKI.shared

    @Test("a refused first address falls through to the next one, over IPv6 and IPv4")
    func refusedAddressFallsThrough() async throws {
        let peer = try await GnuTLSServ.start()   // listens on [::] and 0.0.0.0
        defer { peer.stop() }
        let closedPort = try freeLoopbackPort()
        let addresses = try await SocketAddress.resolve(host: "127.0.0.1", port: closedPort)
            + SocketAddress.resolve(host: "::1", port: peer.port)
        let context = try TLSContext(configuration: pki.configuration(identity: try pki.client.identity()))
        let connection = TLSConnection(loop: .shared, context: context)
        try await connection.establish(host: TestPKI.serverName, port: 443, addresses: addresses,
                                       dialling: "two addresses", deadline: .now + .seconds(10))
        #expect(try #require(await connection.info).remoteAddress == "[::1]:\(peer.port)")
        #expect(try await connection.echo("v6\n") == "v6\n")
    }

    @Test("when every address refuses, the error lists each one")
    func allRefused() async throws {
        let first = try freeLoopbackPort(), second = try freeLoopbackPort()
        let addresses = try await SocketAddress.resolve(host: "127.0.0.1", port: first)
            + SocketAddress.resolve(host: "::1", port: second)
        let connection = TLSConnection(loop: .shared, context: try TLSContext(configuration: pki.configuration()))
        let error = await #expect(throws: TLSError.self) {
            try await connection.establish(host: "example.test", port: 443, addresses: addresses,
                                           dialling: "example.test:443", deadline: .now + .seconds(5))
        }
        #expect(error?.code == .connectionRefused)
        #expect(error?.message.contains("127.0.0.1:\(first)") == true)
        #expect(error?.message.contains("[::1]:\(second)") == true)
    }
}

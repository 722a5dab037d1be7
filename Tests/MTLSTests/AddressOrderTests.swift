import Foundation
@testable import MTLS
import TestSupport
import Testing

@Suite("Every resolved address is tried, raced as Happy Eyeballs does")
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

    @Test("a blackholed first address costs one stagger, not the connect timeout (RFC 8305)")
    func happyEyeballsSkipsBlackhole() async throws {
        let (listener, silentPort) = silentListener(backlog: 0)
        defer { close(listener) }
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<4 {   // fill the backlog: further SYNs to it go unanswered
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var target = loopback(port: silentPort)
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fillers.append(fd)
        }
        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        let addresses = try await SocketAddress.resolve(host: "127.0.0.1", port: silentPort)
            + SocketAddress.resolve(host: "127.0.0.1", port: peer.port)
        let context = try TLSContext(configuration: pki.configuration(identity: try pki.client.identity()))
        let connection = TLSConnection(loop: .shared, context: context)
        let start = ContinuousClock.now
        try await connection.establish(host: TestPKI.serverName, port: 443, addresses: addresses,
                                       dialling: "a blackhole, then the server", deadline: .now + .seconds(20))
        #expect(ContinuousClock.now - start < .seconds(5))   // about 250 ms; far below the 20 s timeout
        #expect(try #require(await connection.info).remoteAddress == "127.0.0.1:\(peer.port)")
        await connection.close()
    }

    @Test("addresses are tried IPv6 first, then alternating families")
    func interleavesFamilies() async throws {
        let v4 = try await SocketAddress.resolve(host: "127.0.0.1", port: 1) + SocketAddress.resolve(host: "127.0.0.2", port: 1)
        let v6 = try await SocketAddress.resolve(host: "::1", port: 1) + SocketAddress.resolve(host: "::2", port: 1)
        let ordered = HappyEyeballs.interleave(v4 + v6).map(\.description)
        #expect(ordered == ["[::1]:1", "127.0.0.1:1", "[::2]:1", "127.0.0.2:1"])
    }

    @Test("resolved names are reused until the cache entry expires")
    func resolverCacheExpires() async throws {
        let cache = ResolverCache(ttl: .milliseconds(200))
        let addresses = try SocketAddress.resolveNow(host: "localhost", port: 443)
        cache.store(addresses, for: "LocalHost", port: 443)
        #expect(cache.addresses(for: "localhost", port: 443)?.count == addresses.count)
        #expect(cache.addresses(for: "localhost", port: 8443) == nil)
        try await Task.sleep(for: .milliseconds(300))
        #expect(cache.addresses(for: "localhost", port: 443) == nil)
    }
}

import Foundation
import MTLS
import TestSupport
import Testing

@Suite("Reading and writing over an established connection")
struct DataTransferTests {
    let pki = TestPKI.shared

    @Test("a 4 MiB write and a concurrent read of its echo both complete, byte for byte")
    func concurrentReadAndWrite() async throws {
        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo)
        // Lines of text: gnutls-serv echoes what it receives. The echo comes back while we are still
        // writing, so the write must not block the read (and neither may lose the other's wake-up).
        let line = Array("the quick brown fox jumps over the lazy dog 0123456789\n".utf8)
        let payload = Array((0..<(4 << 20) / line.count).map { _ in line }.joined())
        async let echoed: [UInt8] = {
            var received: [UInt8] = []
            while received.count < payload.count {
                let chunk = try await connection.read()
                if chunk.isEmpty { break }
                received += chunk
            }
            return received
        }()
        try await connection.write(payload)
        #expect(try await echoed == payload)
        await connection.close()
    }

    @Test("reads and writes after close() fail with connectionClosed")
    func useAfterClose() async throws {
        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo)
        await connection.close()
        let readError = await #expect(throws: TLSError.self) { _ = try await connection.read() }
        #expect(readError?.code == .connectionClosed)
        let writeError = await #expect(throws: TLSError.self) { try await connection.write([1]) }
        #expect(writeError?.code == .connectionClosed)
    }

    @Test("close() wakes a read that is waiting")
    func closeWakesReader() async throws {
        let peer = try await GnuTLSServ.start()
        defer { peer.stop() }
        let connection = try await TLSConnection.connect(host: TestPKI.serverName, port: 443,
                                                         configuration: pki.configuration(identity: try pki.client.identity()),
                                                         connectTo: peer.connectTo)
        let reader = Task { try await connection.read() }
        try await Task.sleep(for: .milliseconds(100))
        await connection.close()
        let error = await #expect(throws: TLSError.self) { _ = try await reader.value }
        #expect(error?.code == .connectionClosed)
    }
}

import MTLS

/// One accepted HTTP/2 connection, on its TLS connection's loop: reads frames, runs the handler
/// for each complete request in its own task, and writes responses as they are ready.
actor HTTP2ServerConnection {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    private let tls: TLSConnection
    private let session: NGHTTP2ServerSession
    private let handler: HTTP2Server.Handler
    private var writing = false
    private var closing = false
    private var closed = false

    init(tls: TLSConnection, handler: @escaping HTTP2Server.Handler) throws {
        self.tls = tls
        loop = tls.loop
        self.handler = handler
        session = try NGHTTP2ServerSession()
    }

    /// Serves until the client goes away or the connection is closed.
    func run() async {
        let info = await tls.info
        flush()
        while !closed {
            guard let bytes = try? await tls.read(), !bytes.isEmpty, !closed else { break }
            do {
                try session.receive(bytes)
            } catch {
                break
            }
            let ready = session.completed
            session.completed.removeAll()
            for id in ready { dispatch(id, info: info) }
            flush()
            if !session.wantsRead && !session.wantsWrite { break }
        }
        await finish()
    }

    /// Sends GOAWAY, then closes once it is written.
    func close() async {
        guard !closed else { return }
        session.goAway()
        closing = true
        flush()
    }

    private func dispatch(_ id: Int32, info: TLSConnectionInfo?) {
        guard let exchange = session.exchanges[id] else { return }
        if let last = session.goAwayLastStreamID, id > last {
            session.refuse(id)   // above GOAWAY's last stream: the client sends it again elsewhere
            return
        }
        if exchange.tooLarge {
            session.respond(id, status: 413, headers: [:], body: Array("request body too large\n".utf8))
            return
        }
        let fields = Dictionary(exchange.headers.filter { $0.0.hasPrefix(":") }, uniquingKeysWith: { first, _ in first })
        let request = HTTPServerRequest(
            method: fields[":method"] ?? "GET", path: fields[":path"] ?? "/",
            // RFC 9113 8.3.1: a request converted from HTTP/1.1 may carry `host` instead of `:authority`.
            authority: fields[":authority"] ?? exchange.headers.first { $0.0 == "host" }?.1 ?? "",
            headers: HTTPHeaders(exchange.headers.filter { !$0.0.hasPrefix(":") }), body: exchange.body,
            clientCertificate: info?.clientCertificate, serverName: info?.serverName ?? "",
            remoteAddress: info?.remoteAddress ?? "")
        exchange.body = []
        let handler = handler
        // The handler runs off the event loop (it may compute checksums, sign, sleep for a fault):
        // the loop's thread stays free for I/O and timers.
        Task(executorPreference: globalConcurrentExecutor) {
            let response = await handler(request)
            await self.answer(id, with: response)
        }
    }

    private func answer(_ id: Int32, with response: HTTPServerResponse) async {
        guard !closed else { return }
        switch response.fault {
        case .dropConnection?:
            closed = true
            await tls.abort()
            return
        case .refuseStream?:
            session.refuse(id)
        case .goAwayAfterResponse?:
            session.respond(id, status: response.status, headers: response.headers, body: response.body)
            session.goAway()
            closing = true
        case nil:
            session.respond(id, status: response.status, headers: response.headers, body: response.body)
        }
        flush()
    }

    /// Writes what nghttp2 has queued; one writer at a time, which loops until nothing is left.
    private func flush() {
        guard !writing, !closed else { return }
        writing = true
        Task(executorPreference: loop.taskExecutor) { await self.writeLoop() }
    }

    private func writeLoop() async {
        defer { writing = false }
        while !closed {
            guard let output = try? session.nextOutput(limit: 256 * 1024) else { break }
            if output.isEmpty {
                // After GOAWAY the streams it promised still get their answers; then the connection closes.
                if closing && session.exchanges.isEmpty { await finish() }
                return
            }
            do {
                try await tls.write(output)
            } catch {
                await finish()
                return
            }
        }
    }

    private func finish() async {
        guard !closed else { return }
        closed = true
        await tls.close()
    }
}

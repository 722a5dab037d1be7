import MTLS

/// An HTTP/1.1 connection over TLS, for servers that do not offer `h2` by ALPN (or offer no ALPN):
/// one exchange at a time, kept alive for the next; bodies by Content-Length or chunked both
/// ways; `Expect: 100-continue` before large uploads. The body is read from the socket only as
/// the caller reads it, so a slow reader slows the server (TCP backpressure).
actor HTTP1Connection: PooledConnection {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    nonisolated let tls: TLSConnection
    let authority: String

    /// Uploads larger than this ask `Expect: 100-continue` first.
    static let continueThreshold = 1 << 20

    /// The exchange in progress.
    private struct Exchange {
        let id: Int32
        var framing: HTTP1ResponseHead.Framing
        var chunkLeft = 0
        var finished = false
        var keepAlive: Bool
        var deadlineTimer: EventLoop.TimerID?
    }

    private var exchange: Exchange?
    private var busy = false
    private var buffer: [UInt8] = []
    private var nextID: Int32 = 1
    private var failure: HTTPClientError?
    private var retired = false
    private var expired: Set<Int32> = []
    private var finishedTrailers: [Int32: HTTPHeaders] = [:]
    private var waiters: [CheckedContinuation<Void, any Error>] = []
    private var closeHandlers: [@Sendable () -> Void] = []
    private let idleTimer: IdleTimer

    init(tls: TLSConnection, authority: String, idleTimeout: Duration) {
        self.tls = tls
        loop = tls.loop
        self.authority = authority
        idleTimer = IdleTimer(timeout: idleTimeout, loop: tls.loop)
    }

    func start() {
        idleTimer.onExpiry = { [weak self] in
            self?.onLoop { $0.shutDown(HTTPClientError(.connectionClosed, "idle")) }
        }
        idleTimer.becameIdle()
    }

    var isAvailable: Bool { failure == nil && !retired }
    var streamCount: Int { exchange == nil ? 0 : 1 }
    var bufferedBodyBytes: Int { exchange == nil ? 0 : buffer.count }

    func reserveStream(until deadline: ContinuousClock.Instant) -> Bool {
        guard isAvailable, !busy else { return false }
        busy = true
        idleTimer.becameBusy()
        return true
    }

    // MARK: requests

    func send(_ request: HTTPRequest, target: HTTPRequest.Target, deadline: ContinuousClock.Instant,
              reserved: Bool) async throws -> ResponseDelivery {
        if !reserved { try await acquire() }
        let id = nextID
        nextID += 1
        exchange = Exchange(id: id, framing: .none, keepAlive: true)
        exchange?.deadlineTimer = loop.schedule(after: ContinuousClock.now.duration(to: deadline)) { [weak self] in
            self?.onLoop { $0.expire(id) }
        }
        do {
            let head = try await exchangeHead(request, target: target)
            return ResponseDelivery(id: id, head: head, completeBody: nil, trailers: nil)
        } catch {
            throw fail(error, id: id)
        }
    }

    /// Writes the request (waiting for 100 Continue before a large body) and reads the response head.
    private func exchangeHead(_ request: HTTPRequest, target: HTTPRequest.Target) async throws -> HTTP2Stream.Head {
        let length = request.body.length
        let expectContinue = (length ?? Int.max) > Self.continueThreshold && !(length == 0)
            && request.method != "GET" && request.method != "HEAD"
        try await tls.write(Array(requestHead(request, target: target, length: length, expectContinue: expectContinue).utf8))
        if expectContinue, let early = try await awaitContinue() { return try settle(early, method: request.method) }
        try await writeBody(request.body, chunked: length == nil)
        while true {
            let head = try await readHead()
            if (100..<200).contains(head.status) { continue }
            return try settle(head, method: request.method)
        }
    }

    private func requestHead(_ request: HTTPRequest, target: HTTPRequest.Target, length: Int?, expectContinue: Bool) -> String {
        var head = "\(request.method) \(target.path) HTTP/1.1\r\nhost: \(target.authority)\r\n"
        for (name, value) in request.headers where !["host", "content-length", "transfer-encoding", "connection"].contains(name) {
            head += "\(name): \(value)\r\n"
        }
        if let length, length > 0 || !["GET", "HEAD"].contains(request.method) { head += "content-length: \(length)\r\n" }
        if length == nil { head += "transfer-encoding: chunked\r\n" }
        if expectContinue { head += "expect: 100-continue\r\n" }
        return head + "\r\n"
    }

    /// Waits up to a second for `100 Continue`; a final answer instead is returned (the body is then
    /// not sent). A server that says nothing gets the body after the second, as RFC 9110 allows.
    private func awaitContinue() async throws -> HTTP1ResponseHead? {
        let head = try await withThrowingTaskGroup(of: HTTP1ResponseHead?.self) { group in
            group.addTask { try await self.readHead() }
            group.addTask { try await Task.sleep(for: .seconds(1)); return nil }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let head, !(100..<200).contains(head.status) else { return nil }
        return head
    }

    private func writeBody(_ body: HTTPRequest.Body, chunked: Bool) async throws {
        switch body.source {
        case .bytes(let bytes):
            if !bytes.isEmpty { try await tls.write(chunked ? Self.chunk(bytes) : bytes) }
            if chunked { try await tls.write(Array("0\r\n\r\n".utf8)) }
        case .stream(_, let pump):
            try await pump { [tls] chunk in
                guard !chunk.isEmpty else { return }
                try await tls.write(chunked ? Self.chunk(chunk) : chunk)
            }
            if chunked { try await tls.write(Array("0\r\n\r\n".utf8)) }
        }
    }

    private static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10]
    }

    /// Notes how the body of `head` ends and whether the connection stays open after it.
    private func settle(_ head: HTTP1ResponseHead, method: String) throws -> HTTP2Stream.Head {
        let (framing, keepAlive) = try head.framing(method: method, authority: authority)
        exchange?.framing = framing
        exchange?.keepAlive = keepAlive
        var headers = head.headers
        headers.remove(name: "transfer-encoding")
        headers.remove(name: "connection")
        return HTTP2Stream.Head(status: head.status, headers: headers)
    }

    // MARK: reading

    /// Reads one response head.
    private func readHead() async throws -> HTTP1ResponseHead {
        while true {
            if let end = buffer.firstRange(of: Array("\r\n\r\n".utf8)) {
                defer { buffer.removeFirst(end.upperBound) }
                return try HTTP1ResponseHead.parse(buffer[..<end.lowerBound], authority: authority)
            }
            guard buffer.count < 256 * 1024 else {
                throw HTTPClientError(.protocolError, "\(authority) sent a response head larger than 256 KiB")
            }
            guard try await fill() else {
                throw HTTPClientError(.connectionClosed, "\(authority) closed the connection before answering")
            }
        }
    }

    /// Reads more from the connection into the buffer; false at a clean end of the stream.
    private func fill() async throws -> Bool {
        let bytes = try await tls.read()
        buffer += bytes
        return !bytes.isEmpty
    }

    func nextBody(_ id: Int32) async throws -> [UInt8]? {
        if expired.contains(id) { throw deadlineError(id) }
        guard var current = exchange, current.id == id, !current.finished else { return nil }
        do {
            let piece = try await nextPiece(&current)
            exchange = current
            if current.finished { finish(id) }
            return piece
        } catch {
            throw fail(error, id: id)
        }
    }

    /// The next bytes of the body per its framing (nil once it is complete).
    private func nextPiece(_ current: inout Exchange) async throws -> [UInt8]? {
        switch current.framing {
        case .none:
            current.finished = true
            return nil
        case .length(let left):
            if left == 0 { current.finished = true; return nil }
            if buffer.isEmpty, !(try await fill()) {
                throw HTTPClientError(.connectionClosed, "\(authority) closed the connection \(left) bytes before the body's end")
            }
            let piece = Array(buffer.prefix(left))
            buffer.removeFirst(piece.count)
            current.framing = .length(left - piece.count)
            if left - piece.count == 0 { current.finished = true }
            return piece
        case .chunked:
            return try await nextChunk(&current)
        case .untilClose:
            if buffer.isEmpty, !(try await fill()) { current.finished = true; return nil }
            defer { buffer.removeAll() }
            return buffer
        }
    }

    private func nextChunk(_ current: inout Exchange) async throws -> [UInt8]? {
        if current.chunkLeft == 0 {
            let sizeLine = try await line()
            let size = try HTTP1ResponseHead.chunkSize(sizeLine, authority: authority)
            if size == 0 {
                finishedTrailers[current.id] = try await trailers()
                current.finished = true
                return nil
            }
            current.chunkLeft = size
        }
        if buffer.isEmpty, !(try await fill()) {
            throw HTTPClientError(.connectionClosed, "\(authority) closed the connection inside a chunk")
        }
        let piece = Array(buffer.prefix(current.chunkLeft))
        buffer.removeFirst(piece.count)
        current.chunkLeft -= piece.count
        if current.chunkLeft == 0, try await line() != "" {
            throw HTTPClientError(.protocolError, "\(authority) sent a chunk without its line end")
        }
        return piece
    }

    private func line() async throws -> String {
        while true {
            if let end = buffer.firstRange(of: Array("\r\n".utf8)) {
                defer { buffer.removeFirst(end.upperBound) }
                return String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
            }
            guard buffer.count < 64 * 1024, try await fill() else {
                throw HTTPClientError(.connectionClosed, "\(authority) closed the connection inside a chunked body")
            }
        }
    }

    private func trailers() async throws -> HTTPHeaders? {
        var fields: [(String, String)] = []
        while true {
            let text = try await line()
            if text.isEmpty { return fields.isEmpty ? nil : HTTPHeaders(fields) }
            if let field = HTTP1ResponseHead.field(text[...]) { fields.append(field) }
        }
    }

    func trailers(_ id: Int32) -> HTTPHeaders? { finishedTrailers[id] }

    // MARK: the exchange's end

    /// The body was read to its end: the connection takes the next request, or closes.
    private func finish(_ id: Int32) {
        guard let current = exchange, current.id == id else { return }
        if let timer = current.deadlineTimer { loop.cancel(timer) }
        exchange = nil
        if !current.keepAlive || retired { shutDown(HTTPClientError(.connectionClosed, "the connection was not kept alive")); return }
        release()
    }

    func abandon(_ id: Int32) {
        finishedTrailers[id] = nil
        expired.remove(id)
        guard let current = exchange, current.id == id else { return }
        // An unread rest cannot be skipped on HTTP/1.1: the connection goes.
        if let timer = current.deadlineTimer { loop.cancel(timer) }
        exchange = nil
        shutDown(HTTPClientError(.connectionClosed, "the response was dropped before its end"))
    }

    private func expire(_ id: Int32) {
        guard let current = exchange, current.id == id, !current.finished else { return }
        expired.insert(id)
        exchange = nil
        shutDown(deadlineError(id))
    }

    private func deadlineError(_ id: Int32) -> HTTPClientError {
        HTTPClientError(.deadlineExceeded, "no complete response from \(authority) before the deadline")
    }

    /// An error of exchange `id`: the deadline's if it passed, else the connection's (which closes).
    private func fail(_ error: any Error, id: Int32) -> any Error {
        if expired.contains(id) { return deadlineError(id) }
        let failure = (error as? HTTPClientError) ?? HTTPClientError(.connectionClosed, "the connection to \(authority) failed: \(error)")
        shutDown(failure)
        return failure
    }

    // MARK: turns and lifetime

    private func acquire() async throws {
        if let failure { throw failure }
        if !busy { busy = true; idleTimer.becameBusy(); return }
        try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
            idleTimer.becameIdle()
        } else {
            waiters.removeFirst().resume()
        }
    }

    func retire() {
        retired = true
        if !busy { shutDown(HTTPClientError(.connectionClosed, "the connection was retired")) }
    }

    func onClose(_ handler: @escaping @Sendable () -> Void) {
        if failure != nil { handler() } else { closeHandlers.append(handler) }
    }

    func close() async { shutDown(HTTPClientError(.shutdown, "the client was shut down")) }

    private func shutDown(_ reason: HTTPClientError) {
        guard failure == nil else { return }
        failure = reason
        idleTimer.becameBusy()
        for waiter in waiters { waiter.resume(throwing: HTTPClientError(reason.code, reason.message, isRetrySafe: true)) }
        waiters.removeAll()
        Task { [tls] in await tls.close() }
        closeHandlers.forEach { $0() }
        closeHandlers.removeAll()
    }
}

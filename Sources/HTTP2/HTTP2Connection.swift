import CNGHTTP2
import MTLS

/// One HTTP/2 connection over a `TLSConnection`, multiplexing streams; it runs on the same event
/// loop as its TLS connection, whose reads and writes it drives.
///
/// No task reads or writes: when the socket is readable, what TLS decrypts goes straight to
/// nghttp2, and at the end of each loop turn the frames of that turn go out in one TLS write
/// (`readAvailable`, `writeFrames`). Response bodies are buffered per stream up to the stream window, and the
/// window reopens only as the caller reads, so a slow reader slows the server instead of growing memory.
actor HTTP2Connection: PooledConnection {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    nonisolated let tls: TLSConnection
    let authority: String
    private let session: NGHTTP2Session
    /// A write is scheduled for the end of the turn, or waits for the socket to drain.
    private var writeScheduled = false
    /// Where TLS decrypts into, reused for every read.
    private let readBuffer = ReadBuffer(byteCount: 64 * 1024)
    /// Where nghttp2's frames are gathered for TLS, reused for every write.
    private var writeBuffer: [UInt8] = []
    private var slotWaiters: [CheckedContinuation<Void, any Error>] = []
    /// Request bodies are queued up to this many bytes ahead of nghttp2.
    private static let sendAhead = 1 << 20

    /// Closes the connection once it has had no stream for the idle timeout.
    private let idleTimer: IdleTimer

    /// PING the server this often, and give up on it when an answer takes longer than the timeout.
    struct KeepAlive: Sendable {
        let interval: Duration
        let timeout: Duration
    }
    private let keepAlive: KeepAlive?
    private let logger: ClientLogger

    init(tls: TLSConnection, authority: String, idleTimeout: Duration, keepAlive: KeepAlive? = nil,
         logger: ClientLogger = .silent) throws {
        self.tls = tls
        self.loop = tls.loop
        self.authority = authority
        self.idleTimer = IdleTimer(timeout: idleTimeout, loop: tls.loop)
        self.keepAlive = keepAlive
        self.logger = logger
        self.session = try NGHTTP2Session()
    }

    /// Starts reading and sends the preface; call once after init.
    func start() {
        handlers = Handlers(readable: { result in self.onLoop(result) { $0.readable($1) } },
                            writable: { result in self.onLoop(result) { $0.writable($1) } },
                            write: { self.onLoop { $0.writeFrames() } })
        idleTimer.onExpiry = { [weak self] in
            self?.onLoop { connection in
                guard connection.isIdle else { return }
                connection.closeGracefully(HTTPClientError(.connectionClosed, "the connection to \(connection.authority) "
                                                           + "was idle for \(connection.idleTimer.timeout)"))
            }
        }
        readAvailable()
        scheduleWrite()
        schedulePing()
    }

    // MARK: keepalive

    private func schedulePing() {
        guard let keepAlive else { return }
        loop.schedule(after: keepAlive.interval) { [weak self] in
            self?.onLoop { $0.ping() }
        }
    }

    /// Sends a PING; without its ACK before the timeout, the connection is taken as dead.
    private func ping() {
        guard let keepAlive, session.failure == nil else { return }
        let acksBefore = session.pingAcks
        nghttp2_submit_ping(session.handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
        scheduleWrite()
        loop.schedule(after: keepAlive.timeout) { [weak self] in
            self?.onLoop { connection in
                guard connection.session.failure == nil else { return }
                guard connection.session.pingAcks > acksBefore else {
                    return connection.failConnection(HTTPClientError(
                        .connectionClosed, "\(connection.authority) did not answer a PING within \(keepAlive.timeout): "
                        + "the connection is taken as dead"))
                }
                connection.schedulePing()
            }
        }
    }

    /// Takes a stream slot if one is free (the pool's way to pick a connection without racing
    /// other requests); `send(reserved: true)` then uses it.
    ///
    /// Until the server's SETTINGS arrive its stream limit is unknown: one request goes out with
    /// the connection preface, and the others wait for the limit rather than guess it, until
    /// their deadline or cancellation at most.
    func reserveStream(until deadline: ContinuousClock.Instant) async throws -> Bool {
        while isAvailable && !session.settingsReceived && openStreams > 0 {
            try Task.checkCancellation()
            guard ContinuousClock.now < deadline else {
                throw HTTPClientError(.deadlineExceeded, "\(authority) did not send its SETTINGS before the deadline")
            }
            let timer = loop.schedule(after: ContinuousClock.now.duration(to: deadline)) { [weak self] in
                self?.onLoop { $0.wakeLimitWaiters() }
            }
            await withTaskCancellationHandler {
                await self.parkForLimit()
            } onCancel: {
                loop.execute { [weak self] in self?.onLoop { $0.wakeLimitWaiters() } }
            }
            loop.cancel(timer)
        }
        try Task.checkCancellation()
        guard isAvailable, hasFreeSlot else { return false }
        openStreams += 1
        idleTimer.becameBusy()
        return true
    }

    private func parkForLimit() async {
        await withCheckedContinuation { limitWaiters.append($0) }
    }

    /// No stream open, none promised to a request (reserved, or handed to a queued one), none queued.
    private var isIdle: Bool {
        session.streams.isEmpty && openStreams == 0 && slotWaiters.isEmpty && session.failure == nil
    }

    /// Streams this connection still tracks (open, or holding an unread body), for tests and diagnostics.
    var streamCount: Int { session.streams.count }

    /// Response body bytes received but not yet read, across streams (for tests and diagnostics).
    var bufferedBodyBytes: Int { session.streams.values.reduce(0) { $0 + $1.bufferedBytes } }

    /// Whether new requests may use this connection.
    var isAvailable: Bool { session.failure == nil && session.goAway == nil && !retired }

    // MARK: requests

    /// Sends a request and waits for the response head; the rest of the body is read through `nextBody`.
    func send(_ request: HTTPRequest, target: HTTPRequest.Target, deadline: ContinuousClock.Instant,
              reserved: Bool = false) async throws -> ResponseDelivery {
        if !reserved { try await acquireSlot() }
        let stream = HTTP2Stream(authority: authority)
        let id = try submit(request, target: target, stream: stream)
        scheduleWrite()
        stream.deadline = deadline
        watchDeadline(deadline)
        if case .stream(_, let pump) = request.body.source {
            stream.producer = Task { await self.produce(id, pump) }
        }
        do {
            try await waitForHead(id)
            guard let head = stream.head else { throw stream.failure ?? CancellationError() }
            guard stream.ended, stream.failure == nil, let body = try stream.takeBody() else {
                return ResponseDelivery(id: id, head: head, completeBody: nil, trailers: nil)
            }
            let trailers = stream.trailers
            session.consume(id, body.count)
            remove(id)
            scheduleWrite()
            return ResponseDelivery(id: id, head: head, completeBody: body, trailers: trailers)
        } catch {
            abandon(id)
            throw error
        }
    }

    // Waiting: the operation of `withTaskCancellationHandler` is a closure that is not itself
    // isolated to this actor (it would run on the global executor), so it only calls the actor
    // methods below, which install their continuation on the actor.

    private func waitForHead(_ id: Int32) async throws {
        try await withTaskCancellationHandler {
            try await self.parkForHead(id)
        } onCancel: {
            cancelOnLoop(id)
        }
    }

    private func parkForHead(_ id: Int32) async throws {
        guard let stream = session.streams[id] else { throw CancellationError() }
        if Task.isCancelled { fail(id, CancellationError()) }   // cancelled before the waiter existed
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            stream.headWaiter = continuation
            wake(stream)   // the head (or the failure) may be here already
        }
    }

    private func waitForBody(_ id: Int32) async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await self.parkForBody(id)
        } onCancel: {
            cancelOnLoop(id)
        }
    }

    /// Installs the body waiter and checks again at once: what arrived meanwhile wakes it.
    private func parkForBody(_ id: Int32) async throws -> [UInt8]? {
        guard let stream = session.streams[id] else { return nil }
        if Task.isCancelled { fail(id, CancellationError()) }   // cancelled before the waiter existed
        return try await withCheckedThrowingContinuation { continuation in
            stream.bodyWaiter = continuation
            session.consume(id, stream.wakeBodyReader())
        }
    }

    private func submit(_ request: HTTPRequest, target: HTTPRequest.Target, stream: HTTP2Stream) throws -> Int32 {
        if let failure = session.failure { throw neverStarted(failure) }
        headerBlock.removeAll()
        headerBlock.append(":method", request.method)
        headerBlock.append(":scheme", "https")
        headerBlock.append(":authority", target.authority)
        headerBlock.append(":path", target.path)
        for field in request.headers where !HTTP2Connection.isConnectionSpecific(field.name) {
            headerBlock.append(field.name, field.value)
        }
        if let length = request.body.length, request.headers.first(name: "content-length") == nil,
           length > 0 || request.method != "GET" {
            headerBlock.append("content-length", String(length))
        }
        if case .bytes(let bytes) = request.body.source {
            stream.sendBuffer = bytes
            stream.sendFinished = true
        }
        let hasBody = request.body.length != 0
        let id = headerBlock.withFields { nva, count -> Int32 in
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: h2ReadRequestBody)
            return hasBody ? nghttp2_submit_request(session.handle, nil, nva, count, &provider, nil)
                           : nghttp2_submit_request(session.handle, nil, nva, count, nil, nil)
        }
        guard id > 0 else {
            releaseSlot()
            if id == NGHTTP2_ERR_START_STREAM_NOT_ALLOWED.rawValue {
                throw goingAway
            }
            throw HTTPClientError(.invalidRequest, "the request could not be sent: \(NGHTTP2.describe(id))")
        }
        stream.id = id
        session.streams[id] = stream
        logger.log(.trace, "stream opened", ["authority": authority, "stream": "\(id)", "method": request.method,
                                             "path": target.path])
        return id
    }

    /// Whether HTTP/2 forbids the header field (RFC 9113 section 8.2.2); such fields are dropped
    /// instead of resetting the stream.
    private static func isConnectionSpecific(_ name: String) -> Bool {
        switch name {
        case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host": true
        default: false
        }
    }

    /// The header block of the request being submitted (nghttp2 copies it), kept for its storage.
    private var headerBlock = HeaderBlock()

    /// Waits for the next chunk of a response body: nil at its end.
    func nextBody(_ id: Int32) async throws -> [UInt8]? {
        guard let stream = session.streams[id] else { return nil }
        while true {
            guard let body = try stream.takeBody() else {
                finish(id)
                return nil
            }
            if !body.isEmpty {
                session.consume(id, body.count)
                scheduleWrite()
                return body
            }
            guard let next = try await waitForBody(id) else { finish(id); return nil }
            return next
        }
    }

    /// The trailers of a finished response.
    func trailers(_ id: Int32) -> HTTPHeaders? { finishedTrailers[id] }
    private var finishedTrailers: [Int32: HTTPHeaders] = [:]

    /// The caller dropped the response: reset the stream if it is still open, give back its window.
    func abandon(_ id: Int32) {
        finishedTrailers[id] = nil
        guard let stream = session.streams[id] else { return }
        if !stream.closed {
            nghttp2_submit_rst_stream(session.handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_CANCEL.rawValue)
        }
        session.consume(id, stream.discardBody())
        remove(id)
        scheduleWrite()
    }

    /// Cancels stream `id` from a task cancellation handler, which may run on any thread.
    private nonisolated func cancelOnLoop(_ id: Int32) {
        loop.execute { [weak self] in self?.onLoop { $0.cancel(id) } }
    }

    /// Cancels a stream: RST_STREAM(CANCEL), and its waiters throw `CancellationError`.
    private func cancel(_ id: Int32) {
        fail(id, CancellationError())
    }

    // MARK: deadlines

    /// One timer serves every stream's deadline, armed for the earliest: a request costs a
    /// comparison rather than a timer of its own (most end long before their deadline).
    private var deadlineTimer: (id: EventLoop.TimerID, due: ContinuousClock.Instant)?

    /// Makes sure the timer goes off by `deadline`.
    private func watchDeadline(_ deadline: ContinuousClock.Instant) {
        if let armed = deadlineTimer {
            guard deadline < armed.due else { return }
            loop.cancel(armed.id)
        }
        let id = loop.schedule(after: ContinuousClock.now.duration(to: deadline)) { [weak self] in
            self?.onLoop { $0.deadlinePassed() }
        }
        deadlineTimer = (id, deadline)
    }

    /// Fails the streams whose deadline has passed, then watches the earliest one left.
    private func deadlinePassed() {
        deadlineTimer = nil
        let now = ContinuousClock.now
        let expired = session.streams.values.filter { $0.deadline.map { $0 <= now } ?? false }
        for stream in expired {
            stream.deadline = nil
            fail(stream.id, HTTPClientError(.deadlineExceeded, "no complete response from \(authority) on stream "
                                            + "\(stream.id) before the deadline"))
        }
        if let next = session.streams.values.compactMap(\.deadline).min() { watchDeadline(next) }
    }

    private func fail(_ id: Int32, _ error: any Error) {
        guard let stream = session.streams[id] else { return }
        if !stream.closed {
            nghttp2_submit_rst_stream(session.handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_CANCEL.rawValue)
        }
        stream.fail(error)
        session.consume(id, stream.discardBody())
        wake(stream)
        scheduleWrite()
    }

    private func finish(_ id: Int32) {
        guard let stream = session.streams[id] else { return }
        if let trailers = stream.trailers { finishedTrailers[id] = trailers }
        remove(id)
    }

    private func remove(_ id: Int32) {
        guard let stream = session.streams.removeValue(forKey: id) else { return }
        logger.log(.trace, "stream finished", ["authority": authority, "stream": "\(id)",
                                               "status": stream.status.map(String.init) ?? "none",
                                               "outcome": stream.failure.map { "\($0)" } ?? "complete"])
        stream.producer?.cancel()
        releaseSlot()
        closeIfDrained()
        if isIdle { idleTimer.becameIdle() }
    }

    // MARK: concurrency limit

    private var openStreams = 0
    /// Reservations waiting for the server's first SETTINGS or a freed slot; they look again when woken.
    private var limitWaiters: [CheckedContinuation<Void, Never>] = []

    /// Whether the server's MAX_CONCURRENT_STREAMS leaves room for one more stream (one before its SETTINGS).
    private var hasFreeSlot: Bool {
        openStreams < (session.settingsReceived ? max(1, session.maxConcurrentStreams) : 1)
    }

    /// Gives free slots to queued requests (also on a retired connection: they were promised one),
    /// and lets reservations waiting for the limit look again once there is news for them:
    /// SETTINGS, no stream left, GOAWAY, retirement or failure.
    private func admitWaiters() {
        while hasFreeSlot && !slotWaiters.isEmpty && session.failure == nil && session.goAway == nil {
            openStreams += 1
            slotWaiters.removeFirst().resume()
        }
        if session.settingsReceived || openStreams == 0 || !isAvailable { wakeLimitWaiters() }
    }

    /// Wakes every reservation waiting for the limit; each looks again (and may wait again).
    private func wakeLimitWaiters() {
        let waiters = limitWaiters
        limitWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }

    /// What a request that cannot start here because of the server's GOAWAY gets: safe to retry elsewhere.
    private var goingAway: HTTPClientError {
        HTTPClientError(.refusedStream, "\(authority) is shutting down this connection (GOAWAY)", isRetrySafe: true)
    }

    private func acquireSlot() async throws {
        idleTimer.becameBusy()
        if let failure = session.failure { throw neverStarted(failure) }
        if hasFreeSlot && slotWaiters.isEmpty {
            openStreams += 1
            return
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            // The connection may have failed, or a slot been freed, since the check above.
            if let failure = session.failure {
                continuation.resume(throwing: neverStarted(failure))
            } else if session.goAway != nil {
                continuation.resume(throwing: goingAway)
            } else if hasFreeSlot && slotWaiters.isEmpty {
                openStreams += 1
                continuation.resume()
            } else {
                slotWaiters.append(continuation)
            }
        }
    }

    private func releaseSlot() {
        openStreams -= 1
        admitWaiters()   // a lower limit from SETTINGS holds queued requests back until there is room
    }

    // MARK: request bodies

    /// Feeds a streamed request body into the stream's send buffer as nghttp2 drains it.
    private func produce(_ id: Int32, _ pump: HTTPRequest.Body.Pump) async {
        do {
            try await pump { chunk in try await self.enqueue(chunk, on: id) }
            guard let stream = session.streams[id] else { return }
            stream.sendFinished = true
            nghttp2_session_resume_data(session.handle, id)
            scheduleWrite()
        } catch {
            fail(id, error)
        }
    }

    /// Queues one chunk of request body, first waiting while too much is queued already.
    private func enqueue(_ chunk: [UInt8], on id: Int32) async throws {
        guard let stream = session.streams[id] else { throw CancellationError() }
        if let failure = stream.failure { throw failure }
        while stream.queuedRequestBytes >= Self.sendAhead {
            try await withCheckedThrowingContinuation { continuation in
                stream.sendSpaceWaiter = continuation
                wake(stream)   // nghttp2 may have drained the buffer meanwhile
            }
        }
        stream.sendBuffer.append(contentsOf: chunk)
        nghttp2_session_resume_data(session.handle, id)
        scheduleWrite()
    }

    // MARK: reading and writing

    /// Reads per call before the loop's other work gets its turn (the buffer holds 64 KiB).
    private static let readsPerTurn = 16
    /// Ciphertext TLS may hold for the socket before no more frames are made.
    private static let writeBacklog = 256 * 1024

    /// Feeds what TLS has decrypted to nghttp2 until nothing more has arrived, then asks TLS to
    /// call back when the socket is readable.
    private func readAvailable() {
        do {
            for _ in 0..<Self.readsPerTurn {
                guard session.failure == nil else { return }
                let (count, state) = try tls.onLoop(readBuffer.bytes) { try $0.receiveNow(into: $1) }
                if count > 0 {
                    try session.receive(UnsafeRawBufferPointer(rebasing: readBuffer.bytes[..<count]))
                    deliver()
                    scheduleWrite()
                    try checkSessionAlive()
                }
                switch state {
                case .more: continue
                case .drained: return awaitSocket(.read)
                case .closed: throw HTTPClientError(.connectionClosed, "\(authority) closed the connection")
                }
            }
            loop.executeAtEndOfTurn { self.onLoop { $0.readAvailable() } }
        } catch {
            failConnection(error)
        }
    }

    /// Asks TLS to call `readable` or `writable` once the socket is ready that way (or failed).
    private func awaitSocket(_ direction: TLSConnection.Direction) {
        guard let handlers else { return }
        let handler = direction == .read ? handlers.readable : handlers.writable
        tls.onLoop((direction, handler)) { $0.whenReady($1.0, $1.1) }
    }

    /// The callbacks the loop and TLS call, made once (not per read or write); they hold the
    /// connection until it fails, as a reading task would.
    private struct Handlers {
        let readable: @Sendable (Result<Void, any Error>) -> Void
        let writable: @Sendable (Result<Void, any Error>) -> Void
        let write: () -> Void
    }
    private var handlers: Handlers?

    /// TLS called back: the socket is readable, or the connection failed.
    private func readable(_ result: Result<Void, any Error>) {
        if case .failure(let error) = result { return failConnection(error) }
        readAvailable()
    }

    /// After nghttp2 reported events: wake readers, producers with room, and refused streams.
    private func deliver() {
        session.takeTouched { wake($0) }
        if let goAway = session.goAway, !loggedGoAway {
            loggedGoAway = true
            logger.log(.debug, "GOAWAY received", ["authority": authority, "last_stream": "\(goAway.lastStreamID)",
                                                   "error": NGHTTP2.errorCodeName(goAway.errorCode)])
        }
        if session.goAway != nil {
            for waiter in slotWaiters {
                waiter.resume(throwing: goingAway)
            }
            slotWaiters.removeAll()
        }
        admitWaiters()
    }

    private func wake(_ stream: HTTP2Stream) {
        if let waiter = stream.headWaiter, stream.head != nil || stream.failure != nil {
            stream.headWaiter = nil
            waiter.resume()
        }
        let handed = stream.wakeBodyReader()
        session.consume(stream.id, handed)
        if let waiter = stream.sendSpaceWaiter, stream.queuedRequestBytes < Self.sendAhead {
            stream.sendSpaceWaiter = nil
            waiter.resume()
        }
    }

    /// Writes once the loop has run the rest of this turn's work, so the frames of every request,
    /// window update and acknowledgement of the turn go out in one TLS write.
    private func scheduleWrite() {
        guard !writeScheduled, session.failure == nil, let handlers else { return }
        writeScheduled = true
        loop.executeAtEndOfTurn(handlers.write)
    }

    /// Hands nghttp2's frames to TLS until nghttp2 has no more; when TLS holds a backlog, waits
    /// for the socket to drain before making more (request bodies are pulled only that fast).
    private func writeFrames() {
        writeScheduled = false
        guard session.failure == nil else { return }
        do {
            while true {
                // Deliver first: waking readers credits windows, which queues WINDOW_UPDATEs to send now.
                deliver()
                var output = writeBuffer
                writeBuffer = []   // keeps `output` uniquely referenced: frames are appended in place
                defer { output.removeAll(keepingCapacity: true); writeBuffer = output }
                try session.nextOutput(into: &output, limit: 256 * 1024)
                if output.isEmpty && !session.hasTouched { return try checkSessionAlive() }
                if output.isEmpty { continue }
                let queued = try tls.onLoop(output) { try $0.sendNow($1) }
                if queued >= Self.writeBacklog {
                    writeScheduled = true   // until the socket drains: more frames now would only queue
                    return awaitSocket(.write)
                }
            }
        } catch {
            failConnection(error)
        }
    }

    /// TLS called back: the socket took queued ciphertext, or the connection failed.
    private func writable(_ result: Result<Void, any Error>) {
        writeScheduled = false
        if case .failure(let error) = result { return failConnection(error) }
        writeFrames()
    }

    /// The connection's failure as seen by a request that never got a stream: sending it
    /// elsewhere is safe.
    private func neverStarted(_ failure: any Error) -> HTTPClientError {
        let error = failure as? HTTPClientError ?? HTTPClientError(.connectionClosed, "\(failure)")
        return HTTPClientError(error.code == .shutdown ? .shutdown : .refusedStream,
                               "\(error.message) (before the request was sent)", isRetrySafe: error.code != .shutdown)
    }

    /// nghttp2 reports a connection error it detected (a bad frame, a header block it cannot
    /// decode) by queuing GOAWAY and then wanting neither to read nor to write.
    private func checkSessionAlive() throws {
        if !session.wantsRead && !session.wantsWrite {
            throw HTTPClientError(.protocolError, "\(authority) broke the HTTP/2 protocol (a malformed frame or "
                                  + "header block); this client ended the connection with GOAWAY")
        }
    }

    /// The connection finished its last stream after GOAWAY, or was retired: close it.
    private func closeIfDrained() {
        if (session.goAway != nil || retired) && session.streams.isEmpty && slotWaiters.isEmpty {
            failConnection(HTTPClientError(.connectionClosed, "the connection to \(authority) finished its streams"))
        }
    }

    /// No new streams go here; the connection closes once its streams are done.
    func retire() {
        retired = true
        admitWaiters()
        closeIfDrained()
    }
    private var retired = false

    /// Called once when the connection ends, so the client can forget it.
    func onClose(_ handler: @escaping @Sendable () -> Void) {
        if session.failure != nil { handler() } else { closeHandlers.append(handler) }
    }
    private var closeHandlers: [@Sendable () -> Void] = []
    private var loggedGoAway = false

    private func failConnection(_ error: any Error) {
        guard session.failure == nil else { return }
        logger.log(.debug, "connection closed", ["authority": authority, "reason": "\(error)",
                                                 "open_streams": "\(session.streams.count)"])
        let failure = (error as? HTTPClientError)
            ?? HTTPClientError(.connectionClosed, "the connection to \(authority) failed: \(error)")
        session.failure = failure
        handlers = nil   // TLS and the loop may still call them once; they find the connection failed
        if let armed = deadlineTimer {   // every stream fails now: no deadline is left to watch
            loop.cancel(armed.id)
            deadlineTimer = nil
        }
        for stream in session.streams.values {
            // Streams above GOAWAY's last stream were never processed: safe to retry.
            // (Not once response bytes arrived: then the server did process it.)
            let unprocessed = (session.goAway.map { stream.id > $0.lastStreamID } ?? false) && stream.responseBytes == 0
            stream.fail(unprocessed ? HTTPClientError(.refusedStream, failure.message, isRetrySafe: true) : failure)
            wake(stream)
        }
        for waiter in slotWaiters { waiter.resume(throwing: neverStarted(failure)) }
        slotWaiters.removeAll()
        admitWaiters()
        // The farewell (GOAWAY) goes to the kernel now, best effort (a peer that stopped reading
        // does not get it), and the TLS connection closes at once, failing its waiters, so no
        // callback keeps this connection alive.
        tls.onLoop(closingOutput) { tls, farewell in
            if !farewell.isEmpty { _ = try? tls.sendNow(farewell) }
            tls.close()
        }
        closeHandlers.forEach { $0() }
        closeHandlers.removeAll()
    }

    /// Closes the connection: GOAWAY tells the server no more streams come; open streams fail.
    func close() async {
        closeGracefully(HTTPClientError(.shutdown, "the client was shut down"))
    }

    /// Sends GOAWAY(NO_ERROR), then closes the TLS connection once it is written.
    private func closeGracefully(_ reason: HTTPClientError) {
        guard session.failure == nil else { return }
        nghttp2_submit_goaway(session.handle, UInt8(NGHTTP2_FLAG_NONE.rawValue),
                              nghttp2_session_get_last_proc_stream_id(session.handle), NGHTTP2_NO_ERROR.rawValue, nil, 0)
        var output: [UInt8] = []
        try? session.nextOutput(into: &output, limit: 64 * 1024)
        closingOutput = output
        failConnection(reason)
    }
    /// Frames (GOAWAY) to write before the TLS connection closes.
    private var closingOutput: [UInt8] = []
}

/// Memory TLS decrypts into, allocated once per connection.
private final class ReadBuffer {
    let bytes: UnsafeMutableRawBufferPointer
    init(byteCount: Int) { bytes = .allocate(byteCount: byteCount, alignment: 16) }
    deinit { bytes.deallocate() }
}

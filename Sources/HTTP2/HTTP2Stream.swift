import MTLS

/// One request/response exchange on a connection. Touched only on the connection's loop.
final class HTTP2Stream {
    /// The response head: status and headers, once the final (non-1xx) HEADERS arrived.
    struct Head: Sendable {
        let status: Int
        let headers: HTTPHeaders
    }

    var id: Int32 = -1
    let authority: String

    // Response.
    private(set) var status: Int?
    private var headers = HTTPHeaders()
    private(set) var trailers: HTTPHeaders?
    private var headComplete = false
    /// Waits for the head (or a failure); resumed by the connection once a read has been processed,
    /// so a small response that arrived whole is seen whole.
    var headWaiter: CheckedContinuation<Void, any Error>?
    /// Body bytes received and not yet handed to the reader (one buffer, handed over whole).
    private var pending: [UInt8] = []
    var bufferedBytes: Int { pending.count }
    /// Response bytes seen so far (headers count as one): zero means a retry is safe after a refusal.
    private(set) var responseBytes = 0
    var bodyWaiter: CheckedContinuation<[UInt8]?, any Error>?
    /// END_STREAM arrived: no more body bytes will come.
    private(set) var ended = false
    /// Why the stream failed, if it did.
    private(set) var failure: (any Error)?
    /// The stream is closed in nghttp2 (its id no longer valid there).
    var closed = false

    // Request body.
    var sendBuffer: [UInt8] = []
    var sendOffset = 0
    var sendFinished = false
    var sendSpaceWaiter: CheckedContinuation<Void, any Error>?
    var producer: Task<Void, Never>?
    /// When the stream fails with `deadlineExceeded` unless it ended first; nil once it did fail.
    var deadline: ContinuousClock.Instant?
    /// In the session's list of streams to wake (`NGHTTP2Session.touch`).
    var touched = false

    init(authority: String) { self.authority = authority }

    // MARK: events from nghttp2

    /// Header (and trailer) bytes a response may carry: more is refused, so a small HPACK block
    /// that decodes to a huge header list (a "bomb") cannot grow memory without end.
    static let headerLimit = 1 << 20
    private var headerBytes = 0

    /// Takes one field as nghttp2 decoded it (names in lower case, checked); false once the
    /// fields exceed `headerLimit` (the stream is then failed).
    func header(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        headerBytes += name.count + value.count + 32   // RFC 9113's accounting per field
        guard headerBytes <= Self.headerLimit else {
            fail(HTTPClientError(.protocolError, "\(authority) sent more than \(Self.headerLimit) bytes of header fields"))
            return false
        }
        responseBytes += 1
        if name.first == UInt8(ascii: ":") {   // of the pseudo-headers, a response has only :status
            if name.elementsEqual(":status".utf8) { status = Int(String(decoding: value, as: UTF8.self)) }
            return true
        }
        let name = String(decoding: name, as: UTF8.self), value = String(decoding: value, as: UTF8.self)
        if headComplete {
            if trailers == nil { trailers = HTTPHeaders() }
            trailers!.append(lowercasedName: name, value: value)
        } else {
            if headers.count == 0 { headers.reserveCapacity(8) }   // one allocation for a typical head
            headers.append(lowercasedName: name, value: value)
        }
        return true
    }

    /// A HEADERS frame ended. Informational (1xx) heads are dropped; the final one wakes the waiter.
    func headersEnded() {
        guard !headComplete, let status else { return }
        if status < 200 {
            self.status = nil
            headers = HTTPHeaders()
            return
        }
        headComplete = true
        head = Head(status: status, headers: headers)
    }

    /// The final head, kept for a waiter that comes after it arrived.
    private(set) var head: Head?

    func data(_ bytes: UnsafeBufferPointer<UInt8>) {
        responseBytes += bytes.count
        pending.append(contentsOf: bytes)
    }

    func endOfStream() { ended = true }

    /// Fails whatever waits on this stream; the first failure wins.
    func fail(_ error: any Error) {
        if failure == nil && !(ended && headComplete) { failure = error }
        guard let failure else { return }
        if head == nil {   // with a head, the response is returned and the body read fails instead
            headWaiter?.resume(throwing: failure)
            headWaiter = nil
        }
        sendSpaceWaiter?.resume(throwing: failure)
        sendSpaceWaiter = nil
        producer?.cancel()
    }

    // MARK: handing the body to the reader

    /// Takes everything buffered (nil at the end); the caller credits the flow-control window.
    func takeBody() throws -> [UInt8]? {
        if !pending.isEmpty {
            defer { pending = [] }
            return pending
        }
        if let failure { throw failure }
        if ended { return nil }
        return []   // nothing yet: wait
    }

    /// Wakes a waiting body reader if there is something for it; returns the bytes handed over.
    func wakeBodyReader() -> Int {
        guard let waiter = bodyWaiter else { return 0 }
        do {
            guard let body = try takeBody() else {
                bodyWaiter = nil
                waiter.resume(returning: nil)
                return 0
            }
            if body.isEmpty { return 0 }
            bodyWaiter = nil
            waiter.resume(returning: body)
            return body.count
        } catch {
            bodyWaiter = nil
            waiter.resume(throwing: error)
            return 0
        }
    }

    /// Bytes received but never handed to a reader, to credit back when the stream is abandoned.
    func discardBody() -> Int {
        defer { pending = [] }
        return pending.count
    }

    // MARK: the request body (nghttp2's data provider reads here)

    /// Copies up to `length` bytes of request body; nil means "none yet" (deferred).
    func readRequestBody(into buffer: UnsafeMutablePointer<UInt8>, length: Int) -> (count: Int, eof: Bool)? {
        let available = sendBuffer.count - sendOffset
        if available == 0 { return sendFinished ? (0, true) : nil }
        let count = min(length, available)
        sendBuffer.withUnsafeBufferPointer { source in
            buffer.update(from: source.baseAddress! + sendOffset, count: count)
        }
        sendOffset += count
        if sendOffset == sendBuffer.count {
            sendBuffer.removeAll(keepingCapacity: true)
            sendOffset = 0
        }
        return (count, sendFinished && sendOffset == sendBuffer.count)
    }

    /// Bytes of request body queued but not yet taken by nghttp2.
    var queuedRequestBytes: Int { sendBuffer.count - sendOffset }
}

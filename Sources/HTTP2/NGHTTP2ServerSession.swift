import CNGHTTP2

/// The nghttp2 server session of one accepted connection: collects each request whole and
/// serves each response from memory.
///
/// Not thread-safe: owned by an `HTTP2ServerConnection` and used only on its loop; callbacks only
/// record what happened, the connection acts after `receive` returns.
final class NGHTTP2ServerSession {
    /// A request being received, then its response being sent.
    final class Exchange {
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        var tooLarge = false
        var response: [UInt8] = []
        var sent = 0
    }

    private(set) var handle: OpaquePointer!
    var exchanges: [Int32: Exchange] = [:]
    /// Streams whose request arrived complete during the last `receive`.
    var completed: [Int32] = []
    /// The largest request body accepted; bigger ones are answered 413.
    static let bodyLimit = 512 << 20

    init() throws {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0 else {
            throw HTTPClientError(.protocolError, "nghttp2 could not allocate its callbacks")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, serverOnBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, serverOnHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, serverOnFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, serverOnData)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, serverOnStreamClose)
        var session: OpaquePointer?
        let result = nghttp2_session_server_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        guard result == 0, let session else {
            throw HTTPClientError(.protocolError, "nghttp2 could not start a session: \(NGHTTP2.describe(result))")
        }
        handle = session
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: 250),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: 4 << 20),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, 64 << 20)
    }

    deinit { nghttp2_session_del(handle) }

    /// Feeds received bytes; throws when the client broke the protocol.
    func receive(_ bytes: [UInt8]) throws {
        let result = bytes.withUnsafeBufferPointer { nghttp2_session_mem_recv(handle, $0.baseAddress, $0.count) }
        if result < 0 {
            throw HTTPClientError(.protocolError, "the client broke the HTTP/2 protocol: \(NGHTTP2.describe(Int32(result)))")
        }
    }

    /// Serialises pending frames, up to about `limit` bytes.
    func nextOutput(limit: Int) throws -> [UInt8] {
        var buffer: [UInt8] = []
        while buffer.count < limit {
            var pointer: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(handle, &pointer)
            if count < 0 {
                throw HTTPClientError(.protocolError, "nghttp2 could not write frames: \(NGHTTP2.describe(Int32(count)))")
            }
            if count == 0 { break }
            buffer.append(contentsOf: UnsafeBufferPointer(start: pointer, count: count))
        }
        return buffer
    }

    var wantsWrite: Bool { nghttp2_session_want_write(handle) != 0 }
    var wantsRead: Bool { nghttp2_session_want_read(handle) != 0 }

    /// Queues the response of stream `id`.
    func respond(_ id: Int32, status: Int, headers: HTTPHeaders, body: [UInt8]) {
        guard let exchange = exchanges[id] else { return }   // the client reset it meanwhile
        exchange.response = body
        var block = HeaderBlock()
        block.append(":status", String(status))
        for field in headers where field.name != "content-length" { block.append(field.name, field.value) }
        block.append("content-length", String(body.count))
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: serverReadResponseBody)
        _ = block.withFields { nva, count in nghttp2_submit_response(handle, id, nva, count, &provider) }
    }

    /// Refuses stream `id` so the client may retry it elsewhere.
    func refuse(_ id: Int32) {
        nghttp2_submit_rst_stream(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_REFUSED_STREAM.rawValue)
    }

    /// Sends GOAWAY naming the last stream this side processed; streams above it are refused from
    /// now on (the client retries them elsewhere, so running them too would duplicate them).
    func goAway() {
        guard goAwayLastStreamID == nil else { return }
        let last = nghttp2_session_get_last_proc_stream_id(handle)
        goAwayLastStreamID = last
        nghttp2_submit_goaway(handle, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    /// The last stream GOAWAY promised to process, once it was sent.
    private(set) var goAwayLastStreamID: Int32?

    // MARK: callbacks

    fileprivate func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) {
        let header = frame.pointee.hd
        let type = UInt32(header.type)
        guard type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue,
              header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0, exchanges[header.stream_id] != nil else { return }
        completed.append(header.stream_id)
    }

    fileprivate func data(_ id: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        guard let exchange = exchanges[id] else { return }
        if exchange.body.count + bytes.count > Self.bodyLimit { exchange.tooLarge = true; return }
        exchange.body.append(contentsOf: bytes)
    }

    fileprivate func readBody(_ id: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int) -> (Int, Bool) {
        guard let exchange = exchanges[id] else { return (0, true) }
        let count = min(length, exchange.response.count - exchange.sent)
        exchange.response.withUnsafeBufferPointer { source in
            buffer.update(from: source.baseAddress! + exchange.sent, count: count)
        }
        exchange.sent += count
        return (count, exchange.sent == exchange.response.count)
    }
}

// nghttp2 callbacks: global functions; each finds its session through the user-data pointer.

private func server(_ pointer: UnsafeMutableRawPointer?) -> NGHTTP2ServerSession {
    Unmanaged<NGHTTP2ServerSession>.fromOpaque(pointer!).takeUnretainedValue()
}

private func serverOnBeginHeaders(_ handle: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                                  _ user: UnsafeMutableRawPointer?) -> Int32 {
    let header = frame!.pointee.hd
    if UInt32(header.type) == NGHTTP2_HEADERS.rawValue && frame!.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
        server(user).exchanges[header.stream_id] = NGHTTP2ServerSession.Exchange()
    }
    return 0
}

private func serverOnHeader(_ handle: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                            _ name: UnsafePointer<UInt8>?, _ nameLength: Int,
                            _ value: UnsafePointer<UInt8>?, _ valueLength: Int,
                            _ flags: UInt8, _ user: UnsafeMutableRawPointer?) -> Int32 {
    let name = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
    let value = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
    server(user).exchanges[frame!.pointee.hd.stream_id]?.headers.append((name, value))
    return 0
}

private func serverOnFrameReceived(_ handle: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                                   _ user: UnsafeMutableRawPointer?) -> Int32 {
    server(user).frameReceived(frame!)
    return 0
}

private func serverOnData(_ handle: OpaquePointer?, _ flags: UInt8, _ streamID: Int32, _ data: UnsafePointer<UInt8>?,
                          _ length: Int, _ user: UnsafeMutableRawPointer?) -> Int32 {
    server(user).data(streamID, UnsafeBufferPointer(start: data, count: length))
    return 0
}

private func serverOnStreamClose(_ handle: OpaquePointer?, _ streamID: Int32, _ errorCode: UInt32,
                                 _ user: UnsafeMutableRawPointer?) -> Int32 {
    server(user).exchanges[streamID] = nil
    return 0
}

private func serverReadResponseBody(_ handle: OpaquePointer?, _ streamID: Int32, _ buffer: UnsafeMutablePointer<UInt8>?,
                                    _ length: Int, _ flags: UnsafeMutablePointer<UInt32>?,
                                    _ source: UnsafeMutablePointer<nghttp2_data_source>?,
                                    _ user: UnsafeMutableRawPointer?) -> Int {
    let (count, done) = server(user).readBody(streamID, into: buffer!, length: length)
    if done { flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
    return count
}

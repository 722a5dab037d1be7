import CNGHTTP2

/// The nghttp2 client session of one connection, and the streams it carries.
///
/// Not thread-safe: owned by an `HTTP2Connection` and used only on its loop. nghttp2 calls back
/// synchronously inside `receive` and `nextOutput`; the callbacks only record what happened,
/// and the connection acts on it after those calls return.
final class NGHTTP2Session {
    private(set) var handle: OpaquePointer!
    var streams: [Int32: HTTP2Stream] = [:]
    /// Streams that got body bytes, ended or failed since `takeTouched` last ran, each once.
    private var touched: [HTTP2Stream] = []
    /// The list handed out last time, kept for its storage.
    private var handedTouched: [HTTP2Stream] = []
    /// Set by a GOAWAY from the server: no new streams on this connection.
    private(set) var goAway: (lastStreamID: Int32, errorCode: UInt32)?
    /// The failure of the whole session, once it failed.
    var failure: (any Error)?
    /// PING acknowledgements received so far.
    private(set) var pingAcks = 0
    /// Whether the server's first SETTINGS frame arrived (until then its stream limit is unknown).
    private(set) var settingsReceived = false

    /// The receive windows we grant: per stream, and for the whole connection.
    static let streamWindow: Int32 = 4 << 20
    static let connectionWindow: Int32 = 256 << 20

    init() throws {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0 else {
            throw HTTPClientError(.protocolError, "nghttp2 could not allocate its callbacks")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks, h2OnHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, h2OnFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, h2OnData)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, h2OnStreamClose)
        var option: OpaquePointer?
        nghttp2_option_new(&option)
        defer { nghttp2_option_del(option) }
        nghttp2_option_set_no_auto_window_update(option, 1)   // windows reopen as the caller reads
        nghttp2_option_set_no_rfc9113_leading_and_trailing_ws_validation(option, 1)
        var session: OpaquePointer?
        let result = nghttp2_session_client_new2(&session, callbacks, Unmanaged.passUnretained(self).toOpaque(), option)
        guard result == 0, let session else {
            throw HTTPClientError(.protocolError, "nghttp2 could not start a session: \(NGHTTP2.describe(result))")
        }
        handle = session
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: 100),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                                   value: UInt32(Self.streamWindow)),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.connectionWindow)
    }

    deinit { nghttp2_session_del(handle) }

    /// Notes that something happened to `stream` its waiters may want to know.
    func touch(_ stream: HTTP2Stream) {
        guard !stream.touched else { return }
        stream.touched = true
        touched.append(stream)
    }

    /// Whether a stream was touched since `takeTouched` last ran.
    var hasTouched: Bool { !touched.isEmpty }

    /// Calls `body` with each stream touched since the last call, and forgets them.
    func takeTouched(_ body: (HTTP2Stream) -> Void) {
        swap(&touched, &handedTouched)
        for stream in handedTouched {
            stream.touched = false
            body(stream)
        }
        handedTouched.removeAll(keepingCapacity: true)
    }

    /// Feeds received bytes; callbacks fire inside. Throws when the peer broke the protocol.
    func receive(_ bytes: UnsafeRawBufferPointer) throws {
        let result = nghttp2_session_mem_recv(handle, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        if result < 0 {
            throw HTTPClientError(.protocolError, "the server broke the HTTP/2 protocol: \(NGHTTP2.describe(Int32(result)))")
        }
    }

    /// Serialises pending frames into `buffer`, up to about `limit` bytes.
    func nextOutput(into buffer: inout [UInt8], limit: Int) throws {
        while buffer.count < limit {
            var pointer: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(handle, &pointer)
            if count < 0 {
                throw HTTPClientError(.protocolError, "nghttp2 could not write frames: \(NGHTTP2.describe(Int32(count)))")
            }
            if count == 0 { return }
            buffer.append(contentsOf: UnsafeBufferPointer(start: pointer, count: count))
        }
    }

    var wantsWrite: Bool { nghttp2_session_want_write(handle) != 0 }
    var wantsRead: Bool { nghttp2_session_want_read(handle) != 0 }

    /// How many streams the server lets us open at once.
    var maxConcurrentStreams: Int {
        Int(nghttp2_session_get_remote_settings(handle, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }

    /// Gives `count` bytes of window back to the server, for a stream and the connection.
    func consume(_ stream: Int32, _ count: Int) {
        guard count > 0 else { return }
        nghttp2_session_consume(handle, stream, count)
    }

    // MARK: callbacks

    /// False when the stream refuses more fields (then nghttp2 resets it).
    fileprivate func header(_ frame: UnsafePointer<nghttp2_frame>, _ name: UnsafeBufferPointer<UInt8>,
                            _ value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let stream = streams[frame.pointee.hd.stream_id] else { return true }
        let accepted = stream.header(name: name, value: value)
        if !accepted { touch(stream) }
        return accepted
    }

    fileprivate func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) {
        let header = frame.pointee.hd
        let type = UInt32(header.type)
        if type == NGHTTP2_PING.rawValue && header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 {
            pingAcks += 1
            return
        }
        if type == NGHTTP2_SETTINGS.rawValue && header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
            settingsReceived = true
            return
        }
        if type == NGHTTP2_GOAWAY.rawValue {
            goAway = (frame.pointee.goaway.last_stream_id, frame.pointee.goaway.error_code)
            return
        }
        guard let stream = streams[header.stream_id] else { return }
        if type == NGHTTP2_HEADERS.rawValue {
            stream.headersEnded()
            touch(stream)
        }
        if (type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue)
            && header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
            stream.endOfStream()
            touch(stream)
        }
    }

    fileprivate func data(_ streamID: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        guard let stream = streams[streamID] else {
            consume(streamID, bytes.count)   // a stream we dropped: keep the connection window open
            return
        }
        stream.data(bytes)
        touch(stream)
    }

    fileprivate func streamClosed(_ streamID: Int32, _ errorCode: UInt32) {
        guard let stream = streams[streamID] else { return }
        stream.closed = true
        touch(stream)
        if errorCode == NGHTTP2_REFUSED_STREAM.rawValue && stream.responseBytes == 0 {
            stream.fail(HTTPClientError(.refusedStream, "\(stream.authority) refused stream \(streamID) before "
                                        + "processing it", isRetrySafe: true))
        } else if errorCode != 0 {
            stream.fail(HTTPClientError(.streamReset, "\(stream.authority) reset stream \(streamID) "
                                        + "(\(NGHTTP2.errorCodeName(errorCode)))"))
        } else if !stream.ended {
            stream.fail(HTTPClientError(.streamReset, "stream \(streamID) to \(stream.authority) closed before its end"))
        }
    }
}

/// nghttp2's own words for errors and error codes.
enum NGHTTP2 {
    static func describe(_ code: Int32) -> String { String(cString: nghttp2_strerror(code)) }

    static func errorCodeName(_ code: UInt32) -> String {
        let names: [UInt32: String] = [
            0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
            4: "SETTINGS_TIMEOUT", 5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM",
            8: "CANCEL", 9: "COMPRESSION_ERROR", 10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM",
            12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED",
        ]
        return names[code] ?? "error \(code)"
    }
}

// nghttp2 callbacks: global functions (C function pointers cannot capture); each finds its
// session through the user-data pointer.

private func session(_ pointer: UnsafeMutableRawPointer?) -> NGHTTP2Session {
    Unmanaged<NGHTTP2Session>.fromOpaque(pointer!).takeUnretainedValue()
}

private func h2OnHeader(_ handle: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                        _ name: UnsafePointer<UInt8>?, _ nameLength: Int,
                        _ value: UnsafePointer<UInt8>?, _ valueLength: Int,
                        _ flags: UInt8, _ user: UnsafeMutableRawPointer?) -> Int32 {
    let name = UnsafeBufferPointer(start: name, count: nameLength), value = UnsafeBufferPointer(start: value, count: valueLength)
    return session(user).header(frame!, name, value) ? 0 : Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
}

private func h2OnFrameReceived(_ handle: OpaquePointer?, _ frame: UnsafePointer<nghttp2_frame>?,
                               _ user: UnsafeMutableRawPointer?) -> Int32 {
    session(user).frameReceived(frame!)
    return 0
}

private func h2OnData(_ handle: OpaquePointer?, _ flags: UInt8, _ streamID: Int32, _ data: UnsafePointer<UInt8>?,
                      _ length: Int, _ user: UnsafeMutableRawPointer?) -> Int32 {
    session(user).data(streamID, UnsafeBufferPointer(start: data, count: length))
    return 0
}

private func h2OnStreamClose(_ handle: OpaquePointer?, _ streamID: Int32, _ errorCode: UInt32,
                             _ user: UnsafeMutableRawPointer?) -> Int32 {
    session(user).streamClosed(streamID, errorCode)
    return 0
}

/// nghttp2 asks for request body bytes of a stream.
func h2ReadRequestBody(_ handle: OpaquePointer?, _ streamID: Int32, _ buffer: UnsafeMutablePointer<UInt8>?,
                       _ length: Int, _ flags: UnsafeMutablePointer<UInt32>?, _ source: UnsafeMutablePointer<nghttp2_data_source>?,
                       _ user: UnsafeMutableRawPointer?) -> Int {
    let session = session(user)
    guard let stream = session.streams[streamID] else {
        return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
    guard let (count, eof) = stream.readRequestBody(into: buffer!, length: length) else {
        return Int(NGHTTP2_ERR_DEFERRED.rawValue)
    }
    if eof { flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
    session.touch(stream)   // the producer may have room now
    return count
}

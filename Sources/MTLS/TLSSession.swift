import CGnuTLS
import CLinux
import FoundationEssentials
import Glibc

/// One GnuTLS session (client, or server for `TLSListener`) over a non-blocking socket, with
/// user-space buffers on both sides.
///
/// Not thread-safe: its owner (a `TLSConnection`, isolated to one event loop) is the only caller.
/// GnuTLS reads through `pull` (one large `recv` serves many records) and writes through `push`
/// (ciphertext is queued and sent by `flush`), so GnuTLS itself never blocks nor sees EAGAIN on write.
final class TLSSession {
    /// Which side this session plays, with the context that configures it.
    enum Role {
        case client(TLSContext)
        case server(TLSServerContext)
    }

    let handle: gnutls_session_t
    private(set) var fd: Int32
    let role: Role
    /// The host name: the one we verify as a client, the one the client asked for (SNI) as a server.
    private(set) var serverName: String
    /// Key of the resumption cache: the name and port the session is for.
    let peerKey: String

    /// Ciphertext from the socket; bytes between `inboundStart` and `inboundEnd` are unread.
    private var inbound = [UInt8].readBuffer(count: TLSSession.readSize)
    private var inboundStart = 0
    private var inboundEnd = 0
    private var outbound = [UInt8]()
    private var outboundStart = 0
    private(set) var reachedEOF = false
    private(set) var socketError: Int32?

    /// The identity sent in this handshake, kept alive while GnuTLS holds its pointers.
    private var presentedIdentity: IdentityMaterial?
    /// A TLS 1.3 ticket arrived; it is saved once the record call that received it returns.
    fileprivate var ticketArrived = false
    /// What `getClientIdentity` threw, to rethrow instead of GnuTLS's generic error.
    private(set) var identityError: Error?

    /// What the server's certificate is checked for: its host name and the serverAuth purpose.
    /// GnuTLS keeps the pointers for the session's lifetime, so they are freed in deinit.
    private let verification: UnsafeMutablePointer<gnutls_typed_vdata_st>

    /// The TLS session this one runs inside (an HTTPS proxy's), or nil when it runs on the socket.
    private let outer: TLSSession?

    /// A client session that verifies `serverName` and the serverAuth purpose; inside `outer` when
    /// given (end-to-end TLS through an HTTPS proxy), else directly on the socket.
    init(fd: Int32, context: TLSContext, serverName: String, port: Int, outer: TLSSession? = nil) throws {
        self.fd = fd
        self.outer = outer
        role = .client(context)
        let bare = serverName.hasPrefix("[") && serverName.hasSuffix("]") ? String(serverName.dropFirst().dropLast()) : serverName
        self.serverName = bare
        self.peerKey = "\(bare):\(port)"
        verification = .allocate(capacity: 2)
        verification[0] = gnutls_typed_vdata_st(type: GNUTLS_DT_DNS_HOSTNAME, data: TLSSession.cString(bare),
                                                size: UInt32(bare.utf8.count))
        verification[1] = gnutls_typed_vdata_st(type: GNUTLS_DT_KEY_PURPOSE_OID,
                                                data: TLSSession.cString(GNUTLS_KP_TLS_WWW_SERVER), size: 0)
        handle = try Self.start(CGNUTLS_CLIENT | CGNUTLS_NONBLOCK | CGNUTLS_FORCE_CLIENT_CERT | CGNUTLS_NO_TICKETS_TLS12)
        try configure()
    }

    /// A server session on an accepted socket; client certificates are checked for the clientAuth purpose.
    init(fd: Int32, serverContext: TLSServerContext) throws {
        self.fd = fd
        outer = nil
        role = .server(serverContext)
        serverName = ""
        peerKey = ""
        verification = .allocate(capacity: 1)
        verification[0] = gnutls_typed_vdata_st(type: GNUTLS_DT_KEY_PURPOSE_OID,
                                                data: TLSSession.cString(GNUTLS_KP_TLS_WWW_CLIENT), size: 0)
        handle = try Self.start(CGNUTLS_SERVER | CGNUTLS_NONBLOCK)
        try configure()
    }

    private static func start(_ flags: UInt32) throws -> gnutls_session_t {
        var handle: gnutls_session_t?
        try GnuTLS.check(gnutls_init(&handle, flags), .handshakeFailed, "cannot start a TLS session")
        return handle!
    }

    deinit {
        gnutls_deinit(handle)
        for index in 0..<verificationCount { free(verification[index].data) }
        verification.deallocate()
    }

    private var verificationCount: Int { if case .client = role { 2 } else { 1 } }

    /// The ALPN protocols this side offers or accepts.
    var applicationProtocols: [String] {
        switch role {
        case .client(let context): context.configuration.applicationProtocols
        case .server(let context): context.configuration.applicationProtocols
        }
    }

    private static func cString(_ text: String) -> UnsafeMutablePointer<UInt8> {
        UnsafeMutableRawPointer(strdup(text)!).assumingMemoryBound(to: UInt8.self)
    }

    /// Detaches the session from its socket once the owner closed it: no read or write reaches a
    /// descriptor number that may already belong to another connection.
    func invalidate() {
        fd = -1
    }

    private func configure() throws {
        switch role {
        case .client(let context):
            try use(context.priorities, context.credentials)
            if IPAddress(serverName) == nil {
                try GnuTLS.check(gnutls_server_name_set(handle, GNUTLS_NAME_DNS, serverName, serverName.utf8.count),
                                 .invalidConfiguration, "server name \(serverName)")
            }
            gnutls_session_set_verify_cert2(handle, verification, 2, 0)
            gnutls_handshake_set_hook_function(handle, GNUTLS_HANDSHAKE_NEW_SESSION_TICKET.rawValue,
                                               Int32(GNUTLS_HOOK_POST), tlsTicketHook)
            if let ticket = context.takeTicket(for: peerKey) {
                _ = GnuTLS.withDatum(ticket) { gnutls_session_set_data(handle, $0.data, Int($0.size)) }
            }
        case .server(let context):
            try use(context.priorities, context.credentials)
            switch context.configuration.clientCertificates {
            case .none: break
            case .request: gnutls_certificate_server_set_request(handle, GNUTLS_CERT_REQUEST)
            case .require: gnutls_certificate_server_set_request(handle, GNUTLS_CERT_REQUIRE)
            }
            // Under `.require` GnuTLS verifies in the handshake; under `.request` a client may send
            // none, so one it does send is verified afterwards (`verifyOptionalClientCertificate`).
            if context.configuration.clientCertificates == .require { gnutls_session_set_verify_cert2(handle, verification, 1, 0) }
        }
        try setApplicationProtocols(applicationProtocols)
        let me = Unmanaged.passUnretained(self).toOpaque()
        gnutls_session_set_ptr(handle, me)
        gnutls_transport_set_ptr(handle, me)
        gnutls_transport_set_pull_function(handle, tlsPull)
        gnutls_transport_set_push_function(handle, tlsPush)
        gnutls_transport_set_pull_timeout_function(handle, tlsPullTimeout)
    }

    private func use(_ priorities: gnutls_priority_t, _ credentials: gnutls_certificate_credentials_t) throws {
        try GnuTLS.check(gnutls_priority_set(handle, priorities), .invalidConfiguration, "TLS priorities")
        try GnuTLS.check(gnutls_credentials_set(handle, GNUTLS_CRD_CERTIFICATE, UnsafeMutableRawPointer(credentials)),
                         .invalidConfiguration, "TLS credentials")
    }

    private func setApplicationProtocols(_ protocols: [String]) throws {
        guard !protocols.isEmpty else { return }
        // GnuTLS copies the names, so the C strings need only live through this call.
        let names = protocols.map { TLSSession.cString($0) }
        defer { names.forEach { free($0) } }
        var datums = zip(names, protocols).map { gnutls_datum_t(data: $0, size: UInt32($1.utf8.count)) }
        let result = gnutls_alpn_set_protocols(handle, &datums, UInt32(datums.count), 0)
        try GnuTLS.check(result, .invalidConfiguration, "ALPN protocols \(protocols)")
    }

    // MARK: handshake and records

    /// Runs the handshake as far as the socket allows: true when done, false when it must wait
    /// for the socket. Non-fatal results (a warning alert) and buffered input are worked through at once.
    func handshake() throws -> Bool {
        while true {
            let result = gnutls_handshake(handle)
            flush()
            if result == 0 {
                if case .server = role {
                    serverName = requestedServerName() ?? ""
                    try verifyOptionalClientCertificate()
                }
                else if gnutls_protocol_get_version(handle) != GNUTLS_TLS1_3 { saveSession() }
                return true
            }
            if result == GNUTLS_E_AGAIN && !hasUnreadCiphertext { return false }
            if gnutls_error_is_fatal(result) != 0 { throw handshakeError(result) }
        }
    }

    /// Decrypts into `buffer`: bytes read, 0 at a clean close, nil when it must wait for the socket.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        while true {
            let result = gnutls_record_recv(handle, buffer.baseAddress, buffer.count)
            if ticketArrived { saveTicket() }
            if result >= 0 { return result }
            switch Int32(result) {
            case GNUTLS_E_AGAIN:
                // Sleep on the socket only when nothing is buffered: records may already sit in
                // GnuTLS or in our ciphertext buffer, and the socket would never report them.
                if hasBufferedInput { continue }
                return nil
            case GNUTLS_E_REHANDSHAKE:
                // A TLS 1.2 renegotiation request (TLS 1.3 key updates are handled inside GnuTLS).
                // HTTP/2 forbids renegotiation (RFC 9113 section 9.2.1): decline and read on.
                _ = gnutls_alert_send(handle, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION)
                flush()
            case GNUTLS_E_PREMATURE_TERMINATION:
                throw TLSError.gnutls(.connectionClosed, "\(serverName) closed the connection without a TLS "
                                      + "close_notify: the data may be truncated", Int32(result))
            case _ where gnutls_error_is_fatal(Int32(result)) == 0:
                continue   // INTERRUPTED, a warning alert: read on
            default:
                throw recordError(Int32(result))
            }
        }
    }

    /// Encrypts up to one record of `bytes`; returns how many bytes were taken.
    func send(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        while true {
            let result = gnutls_record_send(handle, bytes.baseAddress, bytes.count)
            if result >= 0 { return result }
            // `push` never refuses bytes, so AGAIN cannot happen; INTERRUPTED must be retried alike.
            if Int32(result) == GNUTLS_E_INTERRUPTED || Int32(result) == GNUTLS_E_AGAIN { continue }
            throw recordError(Int32(result))
        }
    }

    /// Sends close_notify (best effort; the connection is going away anyway).
    func sendCloseNotify() {
        _ = gnutls_bye(handle, GNUTLS_SHUT_WR)
        flush()
    }

    /// Whether decrypted bytes are waiting inside GnuTLS or our buffer (read before sleeping).
    var hasBufferedInput: Bool {
        gnutls_record_check_pending(handle) > 0 || inboundStart < inboundEnd || (outer?.hasBufferedInput ?? false)
    }

    /// Ciphertext still queued for the socket (here or in the outer session).
    var pendingOutput: Int { outbound.count - outboundStart + (outer?.pendingOutput ?? 0) }

    // MARK: the socket side

    /// Writes queued ciphertext until the socket would block.
    func flush() {
        guard fd >= 0 else { return }
        if let outer { return flush(through: outer) }
        while outboundStart < outbound.count {
            let written = outbound.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + outboundStart, raw.count - outboundStart, Int32(MSG_NOSIGNAL))
            }
            if written > 0 { outboundStart += written; continue }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            socketError = errno
            outbound.removeAll(); outboundStart = 0
            return
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 20)
        outboundStart = 0
    }

    /// Hands queued ciphertext to the outer session as its plaintext, then flushes that.
    private func flush(through outer: TLSSession) {
        while outboundStart < outbound.count {
            do {
                outboundStart += try outbound.withUnsafeBytes { raw in
                    try outer.send(UnsafeRawBufferPointer(rebasing: raw[outboundStart..<min(raw.count, outboundStart + 16384)]))
                }
            } catch {
                socketError = outer.socketError ?? EIO
                break
            }
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 1 << 20)
        outboundStart = 0
        outer.flush()
        if let failed = outer.socketError { socketError = failed }
    }

    private static let readSize = 64 * 1024

    fileprivate func pull(_ destination: UnsafeMutableRawPointer, _ length: Int) -> Int {
        if inboundStart == inboundEnd {
            guard fd >= 0 else {
                gnutls_transport_set_errno(handle, EBADF)
                return -1
            }
            let received = outer.map(pullThrough) ?? inbound.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if received == 0 { reachedEOF = true; return 0 }
            if received < 0 {
                let code = errno
                if code != EAGAIN && code != EWOULDBLOCK && code != EINTR { socketError = code }
                gnutls_transport_set_errno(handle, code == EWOULDBLOCK ? EAGAIN : code)
                return -1
            }
            inboundStart = 0
            inboundEnd = received
        }
        let count = min(length, inboundEnd - inboundStart)
        inbound.withUnsafeBytes { raw in
            destination.copyMemory(from: raw.baseAddress! + inboundStart, byteCount: count)
        }
        inboundStart += count
        return count
    }

    /// Decrypted bytes of the outer session as this one's ciphertext: like `recv`, -1 with errno set
    /// when nothing is there yet (or on error), 0 at the end.
    private func pullThrough(_ outer: TLSSession) -> Int {
        do {
            guard let count = try inbound.withUnsafeMutableBytes({ try outer.receive(into: $0) }) else {
                errno = EAGAIN
                return -1
            }
            return count
        } catch {
            errno = outer.socketError ?? EIO
            return -1
        }
    }

    fileprivate func push(_ bytes: UnsafeRawBufferPointer) -> Int {
        outbound.append(contentsOf: bytes)
        return bytes.count
    }

    var hasUnreadCiphertext: Bool { inboundStart < inboundEnd || (outer?.hasBufferedInput ?? false) }

    // MARK: resumption

    /// Saves a TLS 1.3 ticket. Asking GnuTLS for session data inside the ticket hook would make it
    /// wait up to its own timeout for "the" ticket, stalling the connection, so this runs afterwards.
    private func saveTicket() {
        ticketArrived = false
        if gnutls_session_get_flags(handle) & GNUTLS_SFLAGS_SESSION_TICKET.rawValue != 0 { saveSession() }
    }

    private func saveSession() {
        guard case .client(let context) = role else { return }
        var datum = gnutls_datum_t()
        guard gnutls_session_get_data2(handle, &datum) >= 0 else { return }
        context.saveTicket(GnuTLS.take(&datum), for: peerKey)
    }

    /// Under `.request`, a client certificate that was sent must verify like a required one.
    private func verifyOptionalClientCertificate() throws {
        guard case .server(let context) = role, context.configuration.clientCertificates == .request else { return }
        var count: UInt32 = 0
        guard gnutls_certificate_get_peers(handle, &count) != nil, count > 0 else { return }
        var status: UInt32 = 0
        let result = gnutls_certificate_verify_peers(handle, verification, 1, &status)
        guard result == 0, status == 0 else {
            _ = gnutls_alert_send(handle, GNUTLS_AL_FATAL, GNUTLS_A_BAD_CERTIFICATE)
            flush()
            throw TLSError(.clientCertificateRejected, "the client certificate did not verify (status 0x\(String(status, radix: 16)))")
        }
    }

    /// The host name the client asked for by SNI (server side).
    private func requestedServerName() -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        var size = buffer.count
        var type: UInt32 = 0
        guard gnutls_server_name_get(handle, &buffer, &size, &type, 0) >= 0 else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
    }

    // MARK: the certificate this side presents

    fileprivate func chooseIdentity(acceptableIssuers: [String]) -> IdentityMaterial? {
        let configuration: TLSConfiguration
        switch role {
        case .server(let context):
            presentedIdentity = context.configuration.identity.material
            return presentedIdentity
        case .client(let context):
            configuration = context.configuration
        }
        do {
            let identity = try configuration.getClientIdentity.map {
                try $0(CertificateRequest(serverName: serverName, acceptableIssuers: acceptableIssuers))
            } ?? configuration.clientIdentity
            presentedIdentity = identity?.material
        } catch {
            identityError = error
            presentedIdentity = nil
        }
        return presentedIdentity
    }

    /// Whether we answered the server's certificate request with a certificate.
    var clientCertificateSent: Bool { presentedIdentity != nil }

    /// The leaf certificate we sent, if any.
    var presentedCertificate: Certificate? { presentedIdentity?.chain.first }
}

// GnuTLS callbacks: global functions, because C function pointers cannot capture context; each
// finds its session through the pointer GnuTLS hands back.

private func session(_ pointer: UnsafeMutableRawPointer?) -> TLSSession {
    Unmanaged<TLSSession>.fromOpaque(pointer!).takeUnretainedValue()
}

private func tlsPull(_ pointer: gnutls_transport_ptr_t?, _ buffer: UnsafeMutableRawPointer?, _ length: Int) -> Int {
    session(pointer).pull(buffer!, length)
}

private func tlsPush(_ pointer: gnutls_transport_ptr_t?, _ buffer: UnsafeRawPointer?, _ length: Int) -> Int {
    session(pointer).push(UnsafeRawBufferPointer(start: buffer, count: length))
}

/// GnuTLS asks whether input is ready; it needs this with custom pull functions. Never waits.
private func tlsPullTimeout(_ pointer: gnutls_transport_ptr_t?, _ milliseconds: UInt32) -> Int32 {
    let tls = session(pointer)
    if tls.hasUnreadCiphertext { return 1 }
    var descriptor = pollfd(fd: tls.fd, events: Int16(POLLIN), revents: 0)
    return poll(&descriptor, 1, 0)
}

/// TLS 1.3 tickets arrive after the handshake: note each as it comes.
private func tlsTicketHook(_ handle: gnutls_session_t?, _ type: UInt32, _ when: UInt32, _ incoming: UInt32,
                           _ message: UnsafePointer<gnutls_datum_t>?) -> Int32 {
    session(gnutls_session_get_ptr(handle)).ticketArrived = true
    return 0
}

/// GnuTLS asks which certificate to send: a client's (only when the server requested one), or the server's.
func tlsRetrieveCertificate(
    _ handle: gnutls_session_t?, _ issuers: UnsafePointer<gnutls_datum_t>?, _ issuerCount: Int32,
    _ algorithms: UnsafePointer<gnutls_pk_algorithm_t>?, _ algorithmCount: Int32,
    _ pcert: UnsafeMutablePointer<UnsafeMutablePointer<gnutls_pcert_st>?>?, _ pcertLength: UnsafeMutablePointer<UInt32>?,
    _ privateKey: UnsafeMutablePointer<gnutls_privkey_t?>?
) -> Int32 {
    let tls = session(gnutls_session_get_ptr(handle))
    let names = (0..<Int(max(0, issuerCount))).compactMap { DistinguishedName.text(issuers![$0]) }
    guard let material = tls.chooseIdentity(acceptableIssuers: names) else {
        pcertLength?.pointee = 0
        return tls.identityError == nil ? 0 : -1
    }
    pcert?.pointee = material.pcerts
    pcertLength?.pointee = material.count
    privateKey?.pointee = material.key.handle
    return 0
}

/// Text for raw DER distinguished names from a CertificateRequest.
enum DistinguishedName {
    static func text(_ datum: gnutls_datum_t) -> String? {
        var copy = datum
        var out = gnutls_datum_t()
        guard gnutls_x509_rdn_get2(&copy, &out, 0) >= 0 else { return nil }
        return String(decoding: GnuTLS.take(&out), as: UTF8.self)
    }
}

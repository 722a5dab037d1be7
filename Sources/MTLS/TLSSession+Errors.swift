import CGnuTLS
import FoundationEssentials
import Glibc
import CLinux

/// Turning GnuTLS results into errors that say what happened and what to do.
extension TLSSession {
    func handshakeError(_ result: Int32) -> any Error {
        if let identityError { return identityError }
        if let socketError { return socketClosed(socketError, during: "the handshake") }
        switch result {
        case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
            return verificationError(gnutls_session_get_verify_cert_status(handle), result)
        case GNUTLS_E_FATAL_ALERT_RECEIVED:
            return alertError(result)
        case GNUTLS_E_NO_APPLICATION_PROTOCOL:
            return noApplicationProtocol()
        case GNUTLS_E_PREMATURE_TERMINATION, GNUTLS_E_PULL_ERROR:
            return TLSError.gnutls(.connectionClosed, "\(serverName) closed the connection during the TLS handshake "
                                   + "(a server that refuses our client certificate or TLS version may do so)", result)
        case GNUTLS_E_UNEXPECTED_PACKET_LENGTH, GNUTLS_E_UNEXPECTED_PACKET, GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
            return TLSError.gnutls(.handshakeFailed, "\(serverName) did not answer with TLS (is it a plain-HTTP port?)",
                                   result)
        default:
            return TLSError.gnutls(.handshakeFailed, "TLS handshake with \(serverName) failed", result)
        }
    }

    func recordError(_ result: Int32) -> TLSError {
        if let socketError { return alertLeftByPeer() ?? socketClosed(socketError, during: "the exchange") }
        if result == GNUTLS_E_FATAL_ALERT_RECEIVED { return alertError(result) }
        return TLSError.gnutls(.ioError, "TLS error on the connection to \(serverName)", result)
    }

    /// A peer that rejects us sends an alert and closes, and our next write may fail first (EPIPE):
    /// read what it left, so the error names the alert rather than the broken pipe.
    private func alertLeftByPeer() -> TLSError? {
        var scratch = [UInt8](repeating: 0, count: 1024)
        for _ in 0..<16 {
            let result = scratch.withUnsafeMutableBytes { gnutls_record_recv(handle, $0.baseAddress, $0.count) }
            if result >= 0 { continue }
            if Int32(result) == GNUTLS_E_FATAL_ALERT_RECEIVED { return alertError(Int32(result)) }
            if Int32(result) != GNUTLS_E_INTERRUPTED { return nil }
        }
        return nil
    }

    private func socketClosed(_ code: Int32, during phase: String) -> TLSError {
        let reason = String(cString: strerror(code))
        return TLSError(.connectionClosed, "the connection to \(serverName) failed during \(phase): \(reason)")
    }

    func noApplicationProtocol() -> TLSError {
        let offered = applicationProtocols.joined(separator: ", ")
        return TLSError(.noApplicationProtocol, "\(serverName) agreed on none of the protocols we offered by ALPN "
                        + "(\(offered)); the server may not support HTTP/2")
    }

    private func verificationError(_ status: UInt32, _ result: Int32) -> TLSError {
        func has(_ flag: gnutls_certificate_status_t) -> Bool { status & flag.rawValue != 0 }
        var text = gnutls_datum_t()
        let detail = gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) >= 0
            ? String(decoding: GnuTLS.take(&text), as: UTF8.self) : "status \(status)"
        let name = serverName
        let chain = peerChain()
        if has(GNUTLS_CERT_SIGNER_NOT_CA) {
            return TLSError(.signerNotCA, "the chain of \(name) has a certificate signed by one that is not a CA "
                            + "(\(detail)); the server's intermediate certificate is wrong", gnutlsError: result)
        }
        if has(GNUTLS_CERT_INSECURE_ALGORITHM) {
            if let leaf = chain.first, leaf.keyAlgorithm.hasPrefix("RSA-"), let bits = Int(leaf.keyAlgorithm.dropFirst(4)), bits < 2048 {
                return TLSError(.weakKey, "the certificate of \(name) has a \(bits)-bit RSA key, too weak to trust "
                                + "(2048 bits at least)", gnutlsError: result)
            }
            return TLSError(.insecureAlgorithm, "the chain of \(name) is signed with an insecure algorithm such as SHA-1 "
                            + "(\(detail))", gnutlsError: result)
        }
        if has(GNUTLS_CERT_SIGNER_NOT_FOUND) {
            if chain.count == 1, let leaf = chain.first, leaf.subject == leaf.issuer {
                return TLSError(.selfSignedServer, "the certificate of \(name) is self-signed (\(leaf.subject)); "
                                + "add it to the trust roots only if you trust this server", gnutlsError: result)
            }
            if let last = chain.last, last.subject != last.issuer {
                return TLSError(.incompleteChain, "the chain of \(name) ends at \(last.subject), whose issuer "
                                + "\(last.issuer) the server did not send and we do not trust: an intermediate "
                                + "certificate is missing on the server, or its CA is not in the trust roots", gnutlsError: result)
            }
            return TLSError(.untrustedServer, "the certificate of \(name) is not signed by a trusted authority "
                            + "(\(detail)); add its CA to the trust roots if you trust it", gnutlsError: result)
        }
        if has(GNUTLS_CERT_EXPIRED) {
            return TLSError(.certificateExpired, "the certificate chain of \(name) has expired (\(detail))",
                            gnutlsError: result)
        }
        if has(GNUTLS_CERT_NOT_ACTIVATED) {
            return TLSError(.certificateNotYetValid, "the certificate chain of \(name) is not valid yet (\(detail)); "
                            + "check this machine's clock", gnutlsError: result)
        }
        if has(GNUTLS_CERT_PURPOSE_MISMATCH) {
            return TLSError(.certificatePurposeMismatch, "the certificate of \(name) is not meant for TLS servers "
                            + "(its extended key usage lacks serverAuth)", gnutlsError: result)
        }
        if has(GNUTLS_CERT_UNEXPECTED_OWNER) {
            return TLSError(.hostnameMismatch, "the certificate of \(name) is not valid for the name \(name) "
                            + "(\(detail))", gnutlsError: result)
        }
        return TLSError(.untrustedServer, "the certificate of \(name) did not verify (\(detail))", gnutlsError: result)
    }

    /// The certificates the peer sent, leaf first.
    private func peerChain() -> [Certificate] {
        var count: UInt32 = 0
        guard let list = gnutls_certificate_get_peers(handle, &count) else { return [] }
        return (0..<Int(count)).compactMap { try? Certificate(der: Array(UnsafeBufferPointer(start: list[$0].data, count: Int(list[$0].size)))) }
    }

    private func alertError(_ result: Int32) -> TLSError {
        let alert = gnutls_alert_get(handle)
        let alertName = String(cString: gnutls_alert_get_name(alert))
        switch alert {
        case GNUTLS_A_BAD_CERTIFICATE, GNUTLS_A_UNSUPPORTED_CERTIFICATE, GNUTLS_A_CERTIFICATE_REVOKED,
             GNUTLS_A_CERTIFICATE_EXPIRED, GNUTLS_A_CERTIFICATE_UNKNOWN, GNUTLS_A_UNKNOWN_CA,
             GNUTLS_A_ACCESS_DENIED, GNUTLS_A_CERTIFICATE_REQUIRED:
            let what = clientCertificateSent ? "our client certificate"
                : gnutls_session_is_resumed(handle) != 0 ? "the resumed session (no certificate is sent when resuming)"
                : "the connection because we sent no client certificate"
            return TLSError(.clientCertificateRejected, "\(serverName) rejected \(what) "
                            + "(TLS alert: \(alertName)). \(clientCertificateAdvice)", gnutlsError: result)
        case GNUTLS_A_NO_APPLICATION_PROTOCOL:
            return noApplicationProtocol()
        default:
            return TLSError(.handshakeFailed, "\(serverName) ended the TLS session with the alert \"\(alertName)\"",
                            gnutlsError: result)
        }
    }

    private var clientCertificateAdvice: String {
        guard let sent = presentedCertificate else {
            return "Configure a client identity (certificate and key) that the server trusts."
        }
        return "We sent \(sent.subject), issued by \(sent.issuer), valid until \(sent.notAfter): "
            + "check that the server trusts that issuer and that the certificate is current."
    }
}

import CGnuTLS
import Glibc

/// Small helpers for calling GnuTLS from Swift; nothing outside this module sees a GnuTLS type.
enum GnuTLS {
    /// GnuTLS's human text for an error code, e.g. "The TLS connection was non-properly terminated."
    static func describe(_ code: Int32) -> String {
        String(cString: gnutls_strerror(code))
    }

    /// Throws `TLSError(code, what: …)` when `result` is negative, else returns it.
    @discardableResult
    static func check(_ result: Int32, _ code: TLSError.Code, _ what: @autoclosure () -> String) throws -> Int32 {
        guard result < 0 else { return result }
        throw TLSError.gnutls(code, what(), result)
    }

    /// Runs `body` with a datum that points at `bytes` (valid only during the call).
    @discardableResult
    /// GnuTLS only reads through it; no copy is made, so key bytes are not duplicated.
    static func withDatum<R>(_ bytes: [UInt8], _ body: (inout gnutls_datum_t) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { buffer in
            var datum = gnutls_datum_t(data: UnsafeMutablePointer(mutating: buffer.baseAddress), size: UInt32(buffer.count))
            return try body(&datum)
        }
    }

    /// Copies a datum that GnuTLS allocated into Swift bytes, then wipes and frees it (some hold keys).
    static func take(_ datum: inout gnutls_datum_t) -> [UInt8] {
        defer {
            if let data = datum.data { explicit_bzero(data, Int(datum.size)) }
            cgnutls_free(datum.data)
            datum.data = nil
            datum.size = 0
        }
        guard let data = datum.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(datum.size)))
    }

    /// Calls an exporter that fills a GnuTLS-allocated datum, and returns its bytes.
    static func export(_ code: TLSError.Code, _ what: @autoclosure () -> String,
                       _ body: (UnsafeMutablePointer<gnutls_datum_t>) -> Int32) throws -> [UInt8] {
        var datum = gnutls_datum_t()
        try check(body(&datum), code, what())
        return take(&datum)
    }
}

extension Array where Element == UInt8 {
    /// A buffer of `count` bytes for reads to fill, not zeroed first: its pages become resident
    /// only as data is written into them, so a 64 KiB read buffer that sees small messages costs
    /// a page or two rather than 64 KiB. Only bytes a read has written may be looked at.
    package static func readBuffer(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Overwrites the bytes with zeros (`explicit_bzero`, which the compiler may not drop): used on
    /// key material this SDK read from files, before it is released.
    package mutating func zeroize() {
        withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            explicit_bzero(base, raw.count)
        }
    }
}

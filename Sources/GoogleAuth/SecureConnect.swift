import MTLS

/// Endpoint Verification's SecureConnect helper: `~/.secureConnect/context_aware_metadata.json`
/// names a `cert_provider_command` that prints the device certificate chain and key as PEM.
enum SecureConnect {
    /// The metadata file under the home directory.
    static func metadataPath(_ environment: AuthEnvironment) -> String {
        environment.home(".secureConnect/context_aware_metadata.json")
    }

    /// The command in the metadata file at `path`; nil when the file does not exist.
    static func command(metadataPath path: String) throws -> [String]? {
        guard let json = try ConfigFile.json(path, what: "SecureConnect metadata file") else { return nil }
        guard let command = json["cert_provider_command"] else {
            throw GoogleAuthError(.malformedFile, "the SecureConnect metadata file \(path) has no \"cert_provider_command\": "
                                  + "re-register the device with Endpoint Verification")
        }
        guard let items = command.array, !items.isEmpty,
              case let argv = items.compactMap(\.string), argv.count == items.count, !argv[0].isEmpty else {
            throw GoogleAuthError(.malformedFile, "the \"cert_provider_command\" in \(path) must be a non-empty array of strings (an argv)")
        }
        return argv
    }

    /// A failed provider's stderr for an error message: every PEM block (a key, a passphrase, a
    /// certificate) cut out, then at most 500 bytes.
    static func diagnostic(_ stderr: [UInt8]) -> String {
        var text = String(decoding: stderr, as: UTF8.self)
        while let begin = text.firstRange(of: "-----BEGIN ") {
            let end = text[begin.upperBound...].firstRange(of: "-----END ").flatMap { text[$0.upperBound...].firstRange(of: "-----") }
            text.replaceSubrange(begin.lowerBound..<(end?.upperBound ?? text.endIndex), with: "[PEM block removed]")
        }
        return String(decoding: Array(text.utf8).prefix(500), as: UTF8.self).trimmed
    }

    /// The certificate chain, key and passphrase a provider printed, accepted and rejected exactly
    /// as Google's Python library does: the chain runs from the first BEGIN CERTIFICATE to the last
    /// END CERTIFICATE, likewise the key; a passphrase block is required when `expectEncryptedKey`
    /// and refused otherwise. Bytes around the blocks are ignored.
    struct Output {
        var chain: [UInt8]
        var key: [UInt8]
        var passphrase: String?

        static func parse(_ bytes: [UInt8], expectEncryptedKey: Bool) throws -> Output {
            guard let chain = span(bytes, begin: "-----BEGIN CERTIFICATE-----", end: "-----END CERTIFICATE-----",
                                   label: false, trailingNewline: true) else {
                throw failure("Client SSL certificate is missing or invalid")
            }
            guard let key = span(bytes, begin: "-----BEGIN ", end: "-----END ", label: true, trailingNewline: true) else {
                throw failure("Client SSL key is missing or invalid")
            }
            let passphrase = span(bytes, begin: "-----BEGIN PASSPHRASE-----", end: "-----END PASSPHRASE-----",
                                  label: false, trailingNewline: false, inner: true)
            let encrypted = key.firstRange(of: Array("ENCRYPTED".utf8)) != nil
            if expectEncryptedKey {
                guard let passphrase else { throw failure("Passphrase is missing or invalid") }
                guard encrypted else { throw failure("Encrypted private key is expected") }
                return Output(chain: chain, key: key, passphrase: String(decoding: passphrase, as: UTF8.self).trimmed)
            }
            if encrypted { throw failure("Encrypted private key is not expected") }
            if passphrase != nil { throw failure("Passphrase is not expected") }
            return Output(chain: chain, key: key, passphrase: nil)
        }

        private static func failure(_ text: String) -> GoogleAuthError {
            GoogleAuthError(.certificateProvider, "the certificate provider's output was refused: \(text)")
        }

        /// The greedy match of `begin.+end` (DOTALL) from the first begin to the last end after it.
        /// With `label`, begin/end are `-----BEGIN [A-Z ]*PRIVATE KEY-----` / `-----END [A-Z ]*PRIVATE KEY-----`.
        /// `inner` returns only what lies between the markers.
        private static func span(_ bytes: [UInt8], begin: String, end: String, label: Bool, trailingNewline: Bool,
                                 inner: Bool = false) -> [UInt8]? {
            let open = Array(begin.utf8), close = Array(end.utf8)
            var searchFrom = 0
            while let start = bytes[searchFrom...].firstRange(of: open) {
                let afterOpen = label ? keyLabelEnd(bytes, from: start.upperBound) : start.upperBound
                if let afterOpen, let last = lastMatch(bytes, of: close, label: label, after: afterOpen + 1) {
                    if inner { return Array(bytes[afterOpen..<last.lowerBound]) }
                    var stop = last.upperBound
                    if trailingNewline {
                        if stop < bytes.count, bytes[stop] == 13 { stop += 1 }
                        if stop < bytes.count, bytes[stop] == 10 { stop += 1 }
                    }
                    return Array(bytes[start.lowerBound..<stop])
                }
                searchFrom = start.lowerBound + 1
            }
            return nil
        }

        /// After `-----BEGIN `: `[A-Z ]*PRIVATE KEY-----`, returning the index past it.
        private static func keyLabelEnd(_ bytes: [UInt8], from index: Int) -> Int? {
            var cursor = index
            while cursor < bytes.count, bytes[cursor] == 32 || (65...90).contains(bytes[cursor]) { cursor += 1 }
            // `[A-Z ]*` may give back characters: find "PRIVATE KEY-----" ending the run or right after it.
            let tail = Array("PRIVATE KEY-----".utf8)
            var candidate = cursor
            while candidate >= index {
                if bytes[candidate...].starts(with: tail) { return candidate + tail.count }
                candidate -= 1
            }
            return nil
        }

        /// The last occurrence of `marker` (for keys `marker` + `[A-Z ]*PRIVATE KEY-----`) starting at or after `after`.
        private static func lastMatch(_ bytes: [UInt8], of marker: [UInt8], label: Bool, after: Int) -> Range<Int>? {
            var best: Range<Int>?
            var from = after
            while from <= bytes.count, let found = bytes[from...].firstRange(of: marker) {
                if !label { best = found }
                else if let stop = keyLabelEnd(bytes, from: found.upperBound) { best = found.lowerBound..<stop }
                from = found.lowerBound + 1
            }
            return best
        }
    }
}

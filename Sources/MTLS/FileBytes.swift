import FoundationEssentials
import Glibc

/// Reads whole files for the loaders, with errors that name the file.
package enum FileBytes {
    /// The whole file; `what` names it in errors ("certificate file"). An empty file is `malformedInput`.
    package static func read(_ path: String, what: String) throws -> [UInt8] {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw TLSError(.unreadableFile, "\(what) \(path) does not exist")
        }
        guard status.st_mode & S_IFMT != S_IFDIR else {
            throw TLSError(.unreadableFile, "\(what) \(path) is a directory, not a file")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw TLSError(.unreadableFile, "\(what) \(path) cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // Read straight into one array (no Foundation buffer left behind holding key bytes).
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        defer { chunk.zeroize() }
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                bytes.zeroize()
                throw TLSError(.unreadableFile, "\(what) \(path) cannot be read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk.prefix(count))
        }
        guard !bytes.isEmpty else {
            throw TLSError(.malformedInput, "\(what) \(path) is empty")
        }
        return bytes
    }

    /// Writes `bytes` to a file created (or truncated) with mode 0600, so a key is never readable by others.
    package static func writePrivate(_ bytes: [UInt8], to path: String, what: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0, fchmod(fd, 0o600) == 0 else {
            if fd >= 0 { close(fd) }
            throw TLSError(.unreadableFile, "cannot write the \(what) \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw TLSError(.unreadableFile, "cannot write the \(what) \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}

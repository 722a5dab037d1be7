import FoundationEssentials
import Glibc
import HTTP2

/// Bytes to upload: in memory, or a file read a chunk at a time.
public enum MediaSource: Sendable {
    case bytes([UInt8])
    case file(String)

    /// The size in bytes.
    func size() throws -> Int {
        switch self {
        case .bytes(let bytes): return bytes.count
        case .file(let path):
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw GoogleAPIError(status: 0, code: "INVALID_ARGUMENT", message: "the upload file \(path) cannot be read")
            }
            return Int(status.st_size)
        }
    }

    /// `count` bytes from `offset`.
    func read(from offset: Int, count: Int) throws -> [UInt8] {
        switch self {
        case .bytes(let bytes): return Array(bytes[offset..<min(bytes.count, offset + count)])
        case .file(let path):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw GoogleAPIError(status: 0, code: "INVALID_ARGUMENT", message: "the upload file \(path) cannot be read")
            }
            defer { close(fd) }
            return try [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
                filled = 0
                while filled < count {
                    let got = pread(fd, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
                    if got < 0 && errno == EINTR { continue }
                    guard got >= 0 else {
                        throw GoogleAPIError(status: 0, code: "INVALID_ARGUMENT", message: "reading \(path) failed")
                    }
                    if got == 0 { break }
                    filled += got
                }
            }
        }
    }
}

/// Where downloaded bytes go.
public enum MediaSink: Sendable {
    /// Into memory: `download` returns them.
    case collect
    /// Into a file, created or truncated.
    case file(String)
    /// To a handler, chunk by chunk as they arrive.
    case handler(@Sendable ([UInt8]) async throws -> Void)
}

/// How an upload is sent.
public enum UploadProtocol: Sendable {
    /// The bytes alone (`uploadType=media`); metadata, if any, is not sent.
    case simple
    /// Metadata and bytes in one `multipart/related` request.
    case multipart
    /// A resumable session, `chunkSize` bytes a request (rounded up to 256 KiB): resumes where the
    /// server says it stopped after a failed chunk.
    case resumable(chunkSize: Int)
}

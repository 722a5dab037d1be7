import CZlib

/// Streaming gzip/deflate decompression of response bodies, bounded by a size limit so a small
/// compressed body cannot expand without end (a "decompression bomb").
///
/// Not thread-safe: owned by one response body's iterator.
final class Inflater {
    private var stream = z_stream()
    private let limit: Int
    private(set) var produced = 0
    private var finished = false

    init(limit: Int) throws {
        self.limit = limit
        guard czlib_inflate_init(&stream) == Z_OK else {
            throw HTTPClientError(.decompressionFailed, "zlib could not start a decompressor")
        }
    }

    deinit { inflateEnd(&stream) }

    /// Decompresses `input`; throws beyond the limit or on corrupt data.
    func inflate(_ input: [UInt8]) throws -> [UInt8] {
        guard !finished, !input.isEmpty else { return [] }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        try input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = UInt32(source.count)
            repeat {
                let result = chunk.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                guard result == Z_OK || result == Z_STREAM_END || result == Z_BUF_ERROR else {
                    throw HTTPClientError(.decompressionFailed, "the compressed response body is corrupt (zlib error \(result))")
                }
                let count = chunk.count - Int(stream.avail_out)
                produced += count
                guard produced <= limit else {
                    throw HTTPClientError(.decompressionFailed, "the response body inflates beyond the \(limit)-byte limit "
                                          + "(a decompression bomb?)")
                }
                output += chunk.prefix(count)
                if result == Z_STREAM_END { finished = true; break }
                if result == Z_BUF_ERROR { break }
            } while stream.avail_in > 0 || stream.avail_out == 0
        }
        return output
    }
}

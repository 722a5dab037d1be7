import CNGHTTP2

/// Header fields as nghttp2 takes them (`nghttp2_nv`), built from Swift strings into one buffer
/// that can be emptied and reused for the next block.
struct HeaderBlock {
    /// Every name and value, back to back.
    private var bytes: [UInt8] = []
    /// The fields; their pointers into `bytes` are filled in by `withFields`, as `bytes` may move while it grows.
    private var fields: [nghttp2_nv] = []

    /// Empties the block, keeping its storage.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
    }

    /// Adds a field; `name` must already be lower case.
    mutating func append(_ name: String, _ value: String) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: value.utf8)
        fields.append(nghttp2_nv(name: nil, value: nil, namelen: name.utf8.count, valuelen: value.utf8.count,
                                 flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
    }

    /// Calls `body` with the fields, valid only during the call.
    mutating func withFields<R>(_ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        bytes.append(0)   // never empty, so there is a base address
        defer { bytes.removeLast() }
        return bytes.withUnsafeMutableBufferPointer { buffer in
            var next = buffer.baseAddress!
            for index in fields.indices {
                fields[index].name = next
                next += fields[index].namelen
                fields[index].value = next
                next += fields[index].valuelen
            }
            return fields.withUnsafeBufferPointer { body($0.baseAddress!, $0.count) }
        }
    }
}

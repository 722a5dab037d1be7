/// A resumable upload session: the metadata from its first request and the bytes received so far.
struct ResumableUpload: Sendable {
    /// What a chunk did to the session.
    enum Progress: Equatable {
        /// More bytes are expected (answer 308).
        case incomplete
        /// Every byte has arrived (store the object).
        case complete
    }

    var bucket: String
    var name: String
    var metadata: StorageObject.Metadata
    var preconditions: StoragePreconditions
    /// Bytes received so far, contiguous from 0.
    var received: [UInt8] = []
    /// The object once the upload finished; later requests on the session return it again.
    var finished: StorageObject?

    /// Appends a chunk, or answers a status query (`bytes */...` with an empty body).
    ///
    /// A chunk must start exactly where the stored bytes end and carry as many bytes as its range
    /// says; otherwise 400 and nothing changes.
    mutating func accept(_ contentRange: UploadContentRange, body: [UInt8]) throws(ServiceError) -> Progress {
        if let range = contentRange.range {
            guard range.lowerBound == received.count else {
                throw .invalidArgument(
                    "The chunk starts at byte \(range.lowerBound) but \(received.count) bytes are stored; "
                        + "chunks must be contiguous.", reason: "invalid")
            }
            guard range.count == body.count else {
                throw .invalidArgument(
                    "Content-Range covers \(range.count) bytes but the body has \(body.count).", reason: "invalid")
            }
        } else if !body.isEmpty {
            throw .invalidArgument("A `bytes */...` request must have an empty body.", reason: "invalid")
        }
        guard received.count + body.count <= contentRange.total ?? .max else {
            throw .invalidArgument("The upload is longer than its declared total size.", reason: "invalid")
        }
        received += body
        return received.count == contentRange.total ? .complete : .incomplete
    }

    /// The `range` header of a 308 answer: what is stored so far; none when nothing is.
    var rangeHeaders: [(String, String)] {
        received.isEmpty ? [] : [("range", "bytes=0-\(received.count - 1)")]
    }
}

import FoundationEssentials

/// One generation of a Cloud Storage object: its bytes, checksums and metadata.
struct StorageObject: Sendable {
    /// The writable fields a client sends (upload metadata); also kept as the stored metadata.
    struct Metadata: Codable, Sendable {
        var name: String?
        var contentType: String?
        var contentEncoding: String?
        var contentDisposition: String?
        var contentLanguage: String?
        var cacheControl: String?
        var metadata: [String: String]?
        /// A client-computed MD5 (base64) to verify against the data.
        var md5Hash: String?
        /// A client-computed CRC32C (base64, big-endian) to verify against the data.
        var crc32c: String?
    }

    /// The object's JSON resource (`storage#object`).
    struct Resource: Encodable, Sendable {
        let kind = "storage#object"
        var id: String
        var selfLink: String
        var mediaLink: String
        var name: String
        var bucket: String
        var generation: String
        var metageneration: String
        var contentType: String
        var storageClass: String
        var size: String
        var md5Hash: String
        var crc32c: String
        var etag: String
        var timeCreated: String
        var updated: String
        var contentEncoding: String?
        var contentDisposition: String?
        var contentLanguage: String?
        var cacheControl: String?
        var metadata: [String: String]?
    }

    var bucket: String
    var name: String
    var generation: Int64
    var data: [UInt8]
    var metadata: Metadata
    var created: Date
    var md5: [UInt8]
    var crc32c: UInt32

    /// Stores `data` as generation `generation`; throws 400 when a client checksum in `metadata`
    /// does not match the data.
    init(bucket: String, name: String, metadata: Metadata, data: [UInt8], generation: Int64, now: Date)
        throws(ServiceError)
    {
        self.bucket = bucket
        self.name = name
        self.generation = generation
        self.data = data
        self.metadata = metadata
        self.created = now
        md5 = MD5.digest(data)
        crc32c = CRC32C.checksum(data)
        try verify(metadata.md5Hash, equals: Base64.encode(md5), what: "MD5 hash")
        try verify(metadata.crc32c, equals: CRC32C.base64(crc32c), what: "CRC32C")
    }

    private func verify(_ given: String?, equals computed: String, what: String) throws(ServiceError) {
        guard let given, given != computed else { return }
        throw .invalidArgument(
            "Provided \(what) \"\(given)\" does not match the uploaded data's \"\(computed)\".", reason: "invalid")
    }

    /// The content type given at upload, else `application/octet-stream`.
    var contentType: String { metadata.contentType ?? "application/octet-stream" }

    /// An opaque tag that changes with every generation.
    var etag: String { Base64.encode(Array("\(generation)/1".utf8)) }

    /// The resource; links point at `host` (the authority the client used).
    func resource(host: String) -> Resource {
        let time = RFC3339.string(from: created)
        let path = "b/\(PathEncoding.encode(bucket))/o/\(PathEncoding.encode(name))"
        return Resource(
            id: "\(bucket)/\(name)/\(generation)", selfLink: "https://\(host)/storage/v1/\(path)",
            mediaLink: "https://\(host)/download/storage/v1/\(path)?generation=\(generation)&alt=media",
            name: name, bucket: bucket, generation: String(generation), metageneration: "1",
            contentType: contentType, storageClass: "STANDARD", size: String(data.count),
            md5Hash: Base64.encode(md5), crc32c: CRC32C.base64(crc32c), etag: etag, timeCreated: time,
            updated: time, contentEncoding: metadata.contentEncoding,
            contentDisposition: metadata.contentDisposition, contentLanguage: metadata.contentLanguage,
            cacheControl: metadata.cacheControl, metadata: metadata.metadata)
    }

    /// The headers of an `alt=media` response (type, generation, checksums, stored metadata).
    var mediaHeaders: [(String, String)] {
        var headers = [
            ("content-type", contentType), ("etag", etag), ("accept-ranges", "bytes"),
            ("x-goog-generation", String(generation)), ("x-goog-metageneration", "1"),
            ("x-goog-hash", "crc32c=\(CRC32C.base64(crc32c)),md5=\(Base64.encode(md5))"),
            ("x-goog-stored-content-length", String(data.count)),
        ]
        let optional = [
            ("content-encoding", metadata.contentEncoding), ("content-disposition", metadata.contentDisposition),
            ("content-language", metadata.contentLanguage), ("cache-control", metadata.cacheControl),
        ]
        headers += optional.compactMap { name, value in value.map { (name, $0) } }
        return headers
    }
}

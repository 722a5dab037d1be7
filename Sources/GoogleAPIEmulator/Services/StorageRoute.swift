/// Which Cloud Storage JSON API resource a path names.
///
/// Bucket names and object names are percent-decoded; an object name runs to the end of the path,
/// so a client that leaves `/` unencoded still reaches the object.
enum StorageRoute: Equatable, Sendable {
    /// `/storage/v1/b`
    case buckets
    /// `/storage/v1/b/{bucket}`
    case bucket(String)
    /// `/storage/v1/b/{bucket}/o`
    case objects(bucket: String)
    /// `/storage/v1/b/{bucket}/o/{object}`
    case object(bucket: String, name: String)
    /// `/upload/storage/v1/b/{bucket}/o`
    case upload(bucket: String)
    /// `/download/storage/v1/b/{bucket}/o/{object}`
    case download(bucket: String, name: String)
    /// Under a Cloud Storage prefix but naming nothing known.
    case unknown

    /// The route of `path`; nil when the path is outside Cloud Storage's prefixes.
    init?(path: String) {
        if let rest = Self.remainder(of: path, after: "/storage/v1/") {
            self = Self.json(rest)
        } else if let rest = Self.remainder(of: path, after: "/upload/storage/v1/") {
            guard case .objects(let bucket) = Self.json(rest) else { return nil }
            self = .upload(bucket: bucket)
        } else if let rest = Self.remainder(of: path, after: "/download/storage/v1/") {
            guard case .object(let bucket, let name) = Self.json(rest) else { return nil }
            self = .download(bucket: bucket, name: name)
        } else {
            return nil
        }
    }

    private static func remainder(of path: String, after prefix: String) -> Substring? {
        path.hasPrefix(prefix) ? path.dropFirst(prefix.count) : nil
    }

    /// Routes the part after `/storage/v1/`.
    private static func json(_ rest: Substring) -> StorageRoute {
        let parts = rest.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.first == "b" else { return .unknown }
        guard parts.count > 1 else { return .buckets }
        guard let bucket = PathEncoding.decode(parts[1]), !bucket.isEmpty else { return .unknown }
        switch parts.count {
        case 2:
            return .bucket(bucket)
        case 3 where parts[2] == "o":
            return .objects(bucket: bucket)
        case 4 where parts[2] == "o":
            guard let name = PathEncoding.decode(parts[3]), !name.isEmpty else { return .unknown }
            return .object(bucket: bucket, name: name)
        default:
            return .unknown
        }
    }
}

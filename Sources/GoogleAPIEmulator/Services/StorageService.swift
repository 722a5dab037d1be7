import FoundationEssentials

/// An in-memory Cloud Storage JSON API (v1): buckets, objects, media/multipart/resumable uploads,
/// downloads with byte ranges.
///
/// Routes by path (`/storage/v1/`, `/upload/storage/v1/`, `/download/storage/v1/`); the host is the
/// server's concern. Only the live generation of each object is kept. Links in responses use the
/// request's `host` header.
public actor StorageService: RoutedService {
    private static let paging = Paging(
        sizeParameter: "maxResults", defaultSize: 1000, maxSize: 1000,
        invalidToken: .invalidArgument("Invalid pageToken.", reason: "invalid"))

    private var buckets: [String: StorageBucket] = [:]
    private var uploads: [String: ResumableUpload] = [:]
    private var lastGeneration: Int64 = 0
    private let clock: @Sendable () -> Date

    /// An empty store; `clock` stamps creation times and seeds generation numbers (microseconds).
    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    /// Cloud Storage paths; nil for anything else.
    static func route(of request: APIRequest) -> StorageRoute? {
        StorageRoute(path: request.path)
    }

    func respond(to request: APIRequest, _ route: StorageRoute) throws(ServiceError) -> APIResponse {
        switch (request.method, route) {
        case ("POST", .buckets): return try insertBucket(request)
        case ("GET", .buckets): return try listBuckets(request)
        case ("GET", .bucket(let name)): return .json(200, try bucket(name).resource())
        case ("DELETE", .bucket(let name)): return try deleteBucket(name)
        case ("GET", .objects(let bucket)): return try listObjects(bucket, request)
        case ("GET", .object(let bucket, let name)) where request.queryValue("alt") == "media":
            return try download(bucket, name, request)
        case ("GET", .object(let bucket, let name)):
            return .json(200, try object(bucket, name, request).resource(host: host(request)))
        case ("DELETE", .object(let bucket, let name)): return try deleteObject(bucket, name, request)
        case ("GET", .download(let bucket, let name)): return try download(bucket, name, request)
        case ("POST", .upload(let bucket)) where request.queryValue("upload_id") == nil:
            return try startUpload(bucket, request)
        case ("PUT", .upload), ("POST", .upload): return try continueUpload(request)
        case ("DELETE", .upload): return try cancelUpload(request)
        default: throw .noRoute(request)
        }
    }

    // MARK: Buckets

    private func insertBucket(_ request: APIRequest) throws(ServiceError) -> APIResponse {
        let project = try requiredProject(request)
        let body = try JSONBody.decode(StorageWire.BucketInsert.self, from: request.body)
        guard let name = body.name, StorageBucket.isValidName(name) else {
            throw .invalidArgument("Invalid bucket name: '\(body.name ?? "")'.", reason: "invalid")
        }
        guard buckets[name] == nil else {
            throw .alreadyExists("The bucket '\(name)' already exists.", reason: "conflict")
        }
        let bucket = StorageBucket(
            name: name, project: project, created: clock(), location: body.location?.uppercased() ?? "US",
            storageClass: body.storageClass ?? "STANDARD", labels: body.labels)
        buckets[name] = bucket
        return .json(200, bucket.resource())
    }

    private func listBuckets(_ request: APIRequest) throws(ServiceError) -> APIResponse {
        let project = try requiredProject(request)
        let prefix = request.queryValue("prefix") ?? ""
        let matching = buckets.values.filter { $0.project == project && $0.name.hasPrefix(prefix) }
            .sorted { $0.name < $1.name }
        let page = try Self.paging.page(matching, request)
        return .json(
            200,
            StorageWire.BucketList(
                items: page.items.map { $0.resource() }.nonEmpty, nextPageToken: page.nextPageToken))
    }

    private func deleteBucket(_ name: String) throws(ServiceError) -> APIResponse {
        guard try bucket(name).objects.isEmpty else {
            throw .failedPrecondition("The bucket '\(name)' is not empty.", code: 409, reason: "conflict")
        }
        buckets[name] = nil
        return APIResponse(status: 204)
    }

    // MARK: Objects

    private func listObjects(_ bucketName: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        let bucket = try bucket(bucketName)
        let entries = listing(of: bucket, request)
        let page = try Self.paging.page(entries, request)
        let host = host(request)
        let items = page.items.compactMap { $0.object?.resource(host: host) }
        let prefixes = page.items.filter { $0.object == nil }.map(\.key)
        return .json(
            200,
            StorageWire.ObjectList(
                items: items.nonEmpty, prefixes: prefixes.nonEmpty,
                nextPageToken: page.nextPageToken))
    }

    /// Objects and delimiter-folded prefixes, sorted by name, honouring prefix/delimiter/startOffset/endOffset.
    private func listing(of bucket: StorageBucket, _ request: APIRequest) -> [(key: String, object: StorageObject?)] {
        let prefix = request.queryValue("prefix") ?? ""
        let delimiter = request.queryValue("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        let start = request.queryValue("startOffset") ?? ""
        let end = request.queryValue("endOffset").flatMap { $0.isEmpty ? nil : $0 }
        var folded = Set<String>()
        var entries: [(key: String, object: StorageObject?)] = []
        for object in bucket.objects.values
        where object.name.hasPrefix(prefix) && object.name >= start && end.map({ object.name < $0 }) ?? true {
            let rest = object.name.dropFirst(prefix.count)
            if let delimiter, let range = rest.firstRange(of: delimiter) {
                folded.insert(prefix + rest[..<range.upperBound])
            } else {
                entries.append((object.name, object))
            }
        }
        entries += folded.map { ($0, nil) }
        return entries.sorted { $0.key < $1.key }
    }

    private func deleteObject(_ bucket: String, _ name: String, _ request: APIRequest) throws(ServiceError)
        -> APIResponse
    {
        _ = try object(bucket, name, request)
        buckets[bucket]?.objects[name] = nil
        return APIResponse(status: 204)
    }

    /// The object's bytes, whole (200) or the requested range (206); 416 when the range is past the end.
    private func download(_ bucket: String, _ name: String, _ request: APIRequest) throws(ServiceError)
        -> APIResponse
    {
        let object = try object(bucket, name, request)
        let size = object.data.count
        switch RangeHeader(request.headers["range"], size: size) {
        case .whole:
            return APIResponse(status: 200, headers: object.mediaHeaders, body: object.data)
        case .partial(let range):
            let contentRange = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            let headers = object.mediaHeaders + [("content-range", contentRange)]
            return APIResponse(status: 206, headers: headers, body: Array(object.data[range]))
        case .unsatisfiable:
            var error = ServiceError(
                code: 416, message: "The requested range cannot be satisfied.", status: "OUT_OF_RANGE",
                reason: "requestedRangeNotSatisfiable")
            error.headers = [("content-range", "bytes */\(size)")]
            throw error
        }
    }

    // MARK: Uploads

    private func startUpload(_ bucket: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        switch request.queryValue("uploadType") {
        case "media": return try mediaUpload(bucket, request)
        case "multipart": return try multipartUpload(bucket, request)
        case "resumable": return try beginResumableUpload(bucket, request)
        default:
            throw .invalidArgument(
                "uploadType must be media, multipart or resumable, not '\(request.queryValue("uploadType") ?? "")'.",
                reason: "invalidParameter")
        }
    }

    /// `uploadType=media`: the body is the data, the name is in the query.
    private func mediaUpload(_ bucket: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        var metadata = StorageObject.Metadata()
        metadata.name = request.queryValue("name")
        metadata.contentType = request.headers["content-type"]
        metadata.contentEncoding = request.queryValue("contentEncoding")
        let object = try store(bucket, metadata, data: request.body, StoragePreconditions(request))
        return .json(200, object.resource(host: host(request)))
    }

    /// `uploadType=multipart`: a JSON metadata part, then the data part.
    private func multipartUpload(_ bucket: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        guard let contentType = request.headers["content-type"],
            let boundary = MultipartRelated.boundary(contentType: contentType),
            let parts = MultipartRelated.parse(request.body, boundary: boundary), parts.count == 2
        else {
            throw .invalidArgument(
                "A multipart upload needs a multipart/related body with a metadata part and a data part.",
                reason: "invalid")
        }
        var metadata = try JSONBody.decode(StorageObject.Metadata.self, from: parts[0].body)
        metadata.name = metadata.name ?? request.queryValue("name")
        metadata.contentType = metadata.contentType ?? parts[1].headers["content-type"]
        let object = try store(bucket, metadata, data: parts[1].body, StoragePreconditions(request))
        return .json(200, object.resource(host: host(request)))
    }

    /// `uploadType=resumable` POST: opens a session and answers its absolute URL in `location`.
    private func beginResumableUpload(_ bucket: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        _ = try self.bucket(bucket)
        var metadata = try JSONBody.decode(StorageObject.Metadata.self, from: request.body)
        metadata.name = metadata.name ?? request.queryValue("name")
        metadata.contentType = metadata.contentType ?? request.headers["x-upload-content-type"]
        let name = try requiredName(metadata)
        let id = Self.newUploadID()
        uploads[id] = ResumableUpload(
            bucket: bucket, name: name, metadata: metadata, preconditions: StoragePreconditions(request))
        let location = "https://\(host(request))\(request.path)?uploadType=resumable&upload_id=\(id)"
        return APIResponse(status: 200, headers: [("location", location), ("x-guploader-uploadid", id)])
    }

    /// A PUT on a session: a chunk (308 until the last), or a status query (`bytes */...`).
    private func continueUpload(_ request: APIRequest) throws(ServiceError) -> APIResponse {
        let (id, upload) = try session(request)
        if let finished = upload.finished {
            return .json(200, finished.resource(host: host(request)))
        }
        var updated = upload
        switch try updated.accept(contentRange(request, stored: upload.received.count), body: request.body) {
        case .incomplete:
            uploads[id] = updated
            return APIResponse(status: 308, headers: updated.rangeHeaders + [("x-guploader-uploadid", id)])
        case .complete:
            let object = try store(updated.bucket, updated.metadata, data: updated.received, updated.preconditions)
            updated.finished = object
            updated.received = []
            uploads[id] = updated
            return .json(200, object.resource(host: host(request)))
        }
    }

    /// DELETE on a session cancels it (499, as Cloud Storage answers).
    private func cancelUpload(_ request: APIRequest) throws(ServiceError) -> APIResponse {
        let (id, _) = try session(request)
        uploads[id] = nil
        return APIResponse(status: 499)
    }

    private func session(_ request: APIRequest) throws(ServiceError) -> (String, ResumableUpload) {
        guard let id = request.queryValue("upload_id"), let upload = uploads[id] else {
            throw .notFound("No upload session with id '\(request.queryValue("upload_id") ?? "")'.")
        }
        return (id, upload)
    }

    /// The request's Content-Range; without one, the body is the rest of the object.
    private func contentRange(_ request: APIRequest, stored: Int) throws(ServiceError) -> UploadContentRange {
        guard let header = request.headers["content-range"] else {
            let count = request.body.count
            return UploadContentRange(range: count == 0 ? nil : stored...(stored + count - 1), total: stored + count)
        }
        guard let range = UploadContentRange(header) else {
            throw .invalidArgument("Malformed Content-Range '\(header)'.", reason: "invalid")
        }
        return range
    }

    // MARK: Shared

    /// Writes a new generation of an object after checking the bucket, name and preconditions.
    private func store(
        _ bucket: String, _ metadata: StorageObject.Metadata, data: [UInt8], _ preconditions: StoragePreconditions
    ) throws(ServiceError) -> StorageObject {
        let current = try self.bucket(bucket)
        let name = try requiredName(metadata)
        try preconditions.check(current.objects[name])
        let object = try StorageObject(
            bucket: bucket, name: name, metadata: metadata, data: data, generation: nextGeneration(), now: clock())
        buckets[bucket]?.objects[name] = object
        return object
    }

    private func bucket(_ name: String) throws(ServiceError) -> StorageBucket {
        guard let bucket = buckets[name] else { throw .notFound("The bucket '\(name)' does not exist.") }
        return bucket
    }

    /// The live object, checked against `generation` and the precondition parameters.
    private func object(_ bucket: String, _ name: String, _ request: APIRequest) throws(ServiceError) -> StorageObject {
        let wanted = request.queryValue("generation").flatMap { Int64($0) }
        guard let object = try self.bucket(bucket).objects[name], wanted.map({ $0 == object.generation }) ?? true
        else { throw .notFound("No such object: \(bucket)/\(name)") }
        try StoragePreconditions(request).check(object)
        return object
    }

    private func requiredProject(_ request: APIRequest) throws(ServiceError) -> String {
        guard let project = request.queryValue("project"), !project.isEmpty else {
            throw .invalidArgument("Required parameter: project", reason: "required")
        }
        return project
    }

    private func requiredName(_ metadata: StorageObject.Metadata) throws(ServiceError) -> String {
        guard let name = metadata.name, !name.isEmpty else {
            throw .invalidArgument("Required parameter: name", reason: "required")
        }
        return name
    }

    private func host(_ request: APIRequest) -> String {
        request.authority(default: "storage.googleapis.com")
    }

    /// Strictly increasing, close to the clock in microseconds (as Cloud Storage's are).
    private func nextGeneration() -> Int64 {
        lastGeneration = max(lastGeneration + 1, Int64(clock().timeIntervalSince1970 * 1_000_000))
        return lastGeneration
    }

    private static func newUploadID() -> String {
        (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined(separator: "-")
    }
}

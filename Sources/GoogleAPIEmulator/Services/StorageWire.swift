/// Request and list bodies of the Cloud Storage JSON API that are not resources themselves.
enum StorageWire {
    /// The body of `POST /storage/v1/b`.
    struct BucketInsert: Decodable, Sendable {
        var name: String?
        var location: String?
        var storageClass: String?
        var labels: [String: String]?
    }

    /// `storage#buckets`.
    struct BucketList: Encodable, Sendable {
        let kind = "storage#buckets"
        var items: [StorageBucket.Resource]?
        var nextPageToken: String?
    }

    /// `storage#objects`; `prefixes` lists the "directories" a delimiter folded.
    struct ObjectList: Encodable, Sendable {
        let kind = "storage#objects"
        var items: [StorageObject.Resource]?
        var prefixes: [String]?
        var nextPageToken: String?
    }
}

/// A Pub/Sub topic resource; also the body of `PUT .../topics/{t}` (where `name` may be absent).
struct PubSubTopic: Codable, Sendable, ProjectResource {
    var name: String?
    var labels: [String: String]?
    var messageRetentionDuration: String?
    var kmsKeyName: String?
}

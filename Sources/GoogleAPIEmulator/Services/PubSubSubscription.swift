/// A Pub/Sub subscription resource; also the body of `PUT .../subscriptions/{s}`.
///
/// Fields the emulator does not act on (push, dead letters, retry, expiration) are kept and echoed.
struct PubSubSubscription: Codable, Sendable, ProjectResource {
    /// The name Pub/Sub gives the `topic` of subscriptions whose topic was deleted.
    static let deletedTopic = "_deleted-topic_"

    var name: String?
    var topic: String?
    var ackDeadlineSeconds: Int?
    var pushConfig: JSONValue?
    var messageRetentionDuration: String?
    var retainAckedMessages: Bool?
    var labels: [String: String]?
    var enableMessageOrdering: Bool?
    var filter: String?
    var deadLetterPolicy: JSONValue?
    var retryPolicy: JSONValue?
    var expirationPolicy: JSONValue?
    var state: String?

    /// The ack deadline as stored (always set once created).
    var ackDeadline: Int { ackDeadlineSeconds ?? 10 }

    /// Fills what Pub/Sub fills on create; throws 400 for an ack deadline outside 10...600 s.
    mutating func applyDefaults(name: String) throws(ServiceError) {
        self.name = name
        let deadline = ackDeadlineSeconds ?? 0
        guard deadline == 0 || (10...600).contains(deadline) else {
            throw .invalidArgument("ackDeadlineSeconds must be between 10 and 600, not \(deadline).")
        }
        ackDeadlineSeconds = deadline == 0 ? 10 : deadline
        pushConfig = pushConfig ?? .object([:])
        messageRetentionDuration = messageRetentionDuration ?? "604800s"
        state = "ACTIVE"
    }
}

/// A Pub/Sub message: as published (data, attributes, orderingKey) and as delivered (plus
/// messageId and publishTime).
struct PubSubMessage: Codable, Sendable {
    /// Base64 of the payload.
    var data: String?
    var attributes: [String: String]?
    var messageId: String?
    var publishTime: String?
    var orderingKey: String?

    /// Whether the message carries non-empty data or at least one attribute; nil when `data` is not base64.
    var hasContent: Bool? {
        guard let bytes = Base64.decode(data ?? "") else { return nil }
        return !bytes.isEmpty || !(attributes ?? [:]).isEmpty
    }
}

/// One message in a pull response, with the ack id of this delivery.
struct ReceivedMessage: Encodable, Sendable {
    var ackId: String
    var message: PubSubMessage
    /// 1 on first delivery, counting up with each redelivery.
    var deliveryAttempt: Int
}

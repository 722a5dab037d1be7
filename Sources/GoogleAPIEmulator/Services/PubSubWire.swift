/// Request and response bodies of the Pub/Sub API that are not resources.
enum PubSubWire {
    /// `:publish` request.
    struct PublishRequest: Decodable, Sendable {
        var messages: [PubSubMessage]?
    }

    /// `:publish` response.
    struct PublishResponse: Encodable, Sendable {
        var messageIds: [String]
    }

    /// `:pull` request (`returnImmediately` is accepted; pulls never wait here).
    struct PullRequest: Decodable, Sendable {
        var maxMessages: Int?
        var returnImmediately: Bool?
    }

    /// `:pull` response; `{}` when nothing is available.
    struct PullResponse: Encodable, Sendable {
        var receivedMessages: [ReceivedMessage]?
    }

    /// `:acknowledge` request.
    struct AcknowledgeRequest: Decodable, Sendable {
        var ackIds: [String]?
    }

    /// `:modifyAckDeadline` request.
    struct ModifyAckDeadlineRequest: Decodable, Sendable {
        var ackIds: [String]?
        var ackDeadlineSeconds: Int?
    }

    /// `GET .../topics` response.
    struct TopicList: Encodable, Sendable {
        var topics: [PubSubTopic]?
        var nextPageToken: String?
    }

    /// `GET .../subscriptions` response.
    struct SubscriptionList: Encodable, Sendable {
        var subscriptions: [PubSubSubscription]?
        var nextPageToken: String?
    }

    /// `GET .../topics/{t}/subscriptions` response: names only.
    struct TopicSubscriptionList: Encodable, Sendable {
        var subscriptions: [String]?
        var nextPageToken: String?
    }
}

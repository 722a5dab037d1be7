import FoundationEssentials

/// An in-memory Pub/Sub API (v1): topics, pull subscriptions, publish, pull, acknowledge and
/// ack-deadline leases.
///
/// Routes `/v1/projects/{p}/topics...` and `/v1/projects/{p}/subscriptions...`. A message reaches the
/// subscriptions that exist when it is published. Pulls never block; message retention, ordering keys,
/// filters, dead-letter and push delivery are stored but not acted on.
public actor PubSubService: RoutedService {
    private static let paging = Paging(defaultSize: 100, maxSize: 1000)

    private var topics: [String: PubSubTopic] = [:]
    private var subscriptions: [String: SubscriptionQueue] = [:]
    private var lastMessageID = 0
    private let clock: @Sendable () -> Date

    /// An empty service; `clock` stamps publish times and decides when ack deadlines expire.
    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    /// Topic and subscription paths; nil for anything else.
    static func route(of request: APIRequest) -> ProjectPath? {
        ProjectPath(request.path, collections: ["topics", "subscriptions"])
    }

    func respond(to request: APIRequest, _ path: ProjectPath) throws(ServiceError) -> APIResponse {
        let name = path.resourceName
        switch (request.method, path.segments[0], path.segments.count, path.verb) {
        case ("GET", "topics", 1, nil): return try listTopics(path.project, request)
        case ("PUT", "topics", 2, nil): return try createTopic(name, request)
        case ("GET", "topics", 2, nil): return .json(200, try topic(name))
        case ("DELETE", "topics", 2, nil): return try deleteTopic(name)
        case ("POST", "topics", 2, "publish"): return try publish(name, request)
        case ("GET", "topics", 3, nil) where path.segments[2] == "subscriptions":
            return try listTopicSubscriptions(name, request)
        case ("GET", "subscriptions", 1, nil): return try listSubscriptions(path.project, request)
        case ("PUT", "subscriptions", 2, nil): return try createSubscription(name, request)
        case ("GET", "subscriptions", 2, nil): return .json(200, try queue(name).subscription)
        case ("DELETE", "subscriptions", 2, nil): return try deleteSubscription(name)
        case ("POST", "subscriptions", 2, "pull"): return try pull(name, request)
        case ("POST", "subscriptions", 2, "acknowledge"): return try acknowledge(name, request)
        case ("POST", "subscriptions", 2, "modifyAckDeadline"): return try modifyAckDeadline(name, request)
        default: throw .noRoute(request)
        }
    }

    // MARK: Topics

    private func createTopic(_ name: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        try validateNew(name, exists: topics[name] != nil)
        var topic = try JSONBody.decode(PubSubTopic.self, from: request.body)
        topic.name = name
        topics[name] = topic
        return .json(200, topic)
    }

    private func deleteTopic(_ name: String) throws(ServiceError) -> APIResponse {
        _ = try topic(name)
        topics[name] = nil
        for key in subscriptions.keys where subscriptions[key]?.subscription.topic == name {
            subscriptions[key]?.subscription.topic = PubSubSubscription.deletedTopic
        }
        return .json(200, EmptyJSON())
    }

    private func listTopics(_ project: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        let page = try Self.paging.page(topics.values.listed(in: project, "topics"), request)
        return .json(200, PubSubWire.TopicList(topics: page.items.nonEmpty, nextPageToken: page.nextPageToken))
    }

    private func listTopicSubscriptions(_ topic: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        _ = try self.topic(topic)
        let names = subscriptions.values.filter { $0.subscription.topic == topic }.compactMap(\.subscription.name)
        let page = try Self.paging.page(names.sorted(), request)
        return .json(
            200, PubSubWire.TopicSubscriptionList(subscriptions: page.items.nonEmpty, nextPageToken: page.nextPageToken))
    }

    /// Stamps each message with an id and publish time and queues it on every subscription of the topic.
    private func publish(_ topic: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        _ = try self.topic(topic)
        let messages = try JSONBody.decode(PubSubWire.PublishRequest.self, from: request.body).messages ?? []
        try validate(messages)
        let publishTime = RFC3339.string(from: clock(), fractionDigits: 3)
        var ids: [String] = []
        for var message in messages {
            lastMessageID += 1
            message.messageId = String(lastMessageID)
            message.publishTime = publishTime
            ids.append(String(lastMessageID))
            for key in subscriptions.keys where subscriptions[key]?.subscription.topic == topic {
                subscriptions[key]?.enqueue(message)
            }
        }
        return .json(200, PubSubWire.PublishResponse(messageIds: ids))
    }

    private func validate(_ messages: [PubSubMessage]) throws(ServiceError) {
        guard !messages.isEmpty else {
            throw .invalidArgument("A publish request must contain at least one message.")
        }
        for message in messages {
            guard let hasContent = message.hasContent else {
                throw .invalidArgument("Message data must be base64-encoded.")
            }
            guard hasContent else {
                throw .invalidArgument("A message must carry non-empty data or at least one attribute.")
            }
        }
    }

    // MARK: Subscriptions

    private func createSubscription(_ name: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        try validateNew(name, exists: subscriptions[name] != nil)
        var subscription = try JSONBody.decode(PubSubSubscription.self, from: request.body)
        guard let topic = subscription.topic, !topic.isEmpty else {
            throw .invalidArgument("A subscription needs a topic.")
        }
        guard topics[topic] != nil else { throw notFound(topic) }
        try subscription.applyDefaults(name: name)
        subscriptions[name] = SubscriptionQueue(subscription: subscription)
        return .json(200, subscription)
    }

    private func deleteSubscription(_ name: String) throws(ServiceError) -> APIResponse {
        _ = try queue(name)
        subscriptions[name] = nil
        return .json(200, EmptyJSON())
    }

    private func listSubscriptions(_ project: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        let all = subscriptions.values.map(\.subscription).listed(in: project, "subscriptions")
        let page = try Self.paging.page(all, request)
        return .json(
            200, PubSubWire.SubscriptionList(subscriptions: page.items.nonEmpty, nextPageToken: page.nextPageToken))
    }

    private func pull(_ name: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        _ = try queue(name)
        let body = try JSONBody.decode(PubSubWire.PullRequest.self, from: request.body)
        guard let maxMessages = body.maxMessages, maxMessages > 0 else {
            throw .invalidArgument("maxMessages must be a positive number.")
        }
        let received = subscriptions[name]?.pull(maxMessages: maxMessages, now: clock()) ?? []
        return .json(200, PubSubWire.PullResponse(receivedMessages: received.nonEmpty))
    }

    private func acknowledge(_ name: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        _ = try queue(name)
        let ids = try JSONBody.decode(PubSubWire.AcknowledgeRequest.self, from: request.body).ackIds ?? []
        guard !ids.isEmpty else { throw .invalidArgument("ackIds must not be empty.") }
        subscriptions[name]?.acknowledge(ids)
        return .json(200, EmptyJSON())
    }

    /// Sets the lease of the given deliveries to now + ackDeadlineSeconds (0: redeliver at once).
    private func modifyAckDeadline(_ name: String, _ request: APIRequest) throws(ServiceError) -> APIResponse {
        _ = try queue(name)
        let body = try JSONBody.decode(PubSubWire.ModifyAckDeadlineRequest.self, from: request.body)
        let ids = body.ackIds ?? []
        let seconds = body.ackDeadlineSeconds ?? 0
        guard !ids.isEmpty else { throw .invalidArgument("ackIds must not be empty.") }
        guard (0...600).contains(seconds) else {
            throw .invalidArgument("ackDeadlineSeconds must be between 0 and 600, not \(seconds).")
        }
        subscriptions[name]?.modifyDeadline(ids, to: clock().addingTimeInterval(TimeInterval(seconds)))
        return .json(200, EmptyJSON())
    }

    // MARK: Shared

    private func topic(_ name: String) throws(ServiceError) -> PubSubTopic {
        guard let topic = topics[name] else { throw notFound(name) }
        return topic
    }

    private func queue(_ name: String) throws(ServiceError) -> SubscriptionQueue {
        guard let queue = subscriptions[name] else { throw notFound(name) }
        return queue
    }

    /// Throws 400 unless the last part of `name` is a valid id, then 409 when the resource `exists`.
    private func validateNew(_ name: String, exists: Bool) throws(ServiceError) {
        guard PubSubID.isValid(id(name)) else {
            let kind = name.split(separator: "/").dropFirst(2).first ?? "resource"
            throw .invalidArgument("Invalid [\(kind)] name: (name=\(name))")
        }
        guard !exists else { throw .alreadyExists("Resource already exists in the project (resource=\(id(name))).") }
    }

    private func notFound(_ name: String) -> ServiceError {
        .notFound("Resource not found (resource=\(id(name))).")
    }

    /// The short id at the end of a resource name.
    private func id(_ name: String) -> String {
        String(name.split(separator: "/", omittingEmptySubsequences: false).last ?? "")
    }
}

import FoundationEssentials
import Testing

@testable import GoogleAPIEmulator

@Suite struct PubSubServiceTests {
    let clock = ManualClock()
    let pubsub: PubSubService
    let topic = "/v1/projects/p/topics/orders"
    let subscription = "/v1/projects/p/subscriptions/billing"

    init() {
        pubsub = PubSubService(clock: clock.now)
    }

    private func createTopicAndSubscription(ackDeadline: Int? = nil) async throws {
        _ = try await send(pubsub, "PUT", topic)
        let deadline = ackDeadline.map { #","ackDeadlineSeconds":\#($0)"# } ?? ""
        let created = try await send(
            pubsub, "PUT", subscription, json: #"{"topic":"projects/p/topics/orders"\#(deadline)}"#)
        #expect(created.status == 200)
    }

    private func publish(_ messages: String) async throws -> APIResponse {
        try await send(pubsub, "POST", topic + ":publish", json: #"{"messages":\#(messages)}"#)
    }

    private func pull(_ maxMessages: Int = 10) async throws -> JSONValue {
        let response = try await send(pubsub, "POST", subscription + ":pull", json: #"{"maxMessages":\#(maxMessages)}"#)
        #expect(response.status == 200)
        return response.json
    }

    private func post(_ verb: String, _ body: String) async throws -> APIResponse {
        try await send(pubsub, "POST", subscription + ":" + verb, json: body)
    }

    @Test func createTopicReturnsItsFullName() async throws {
        let created = try await send(pubsub, "PUT", topic)
        #expect(created.status == 200)
        #expect(created.json == .object(["name": .string("projects/p/topics/orders")]))
        #expect(try await send(pubsub, "GET", topic).json == created.json)
    }

    @Test func creatingAnExistingTopicIsAlreadyExists() async throws {
        _ = try await send(pubsub, "PUT", topic)
        expectError(try await send(pubsub, "PUT", topic), 409, "ALREADY_EXISTS")
    }

    @Test func invalidTopicIDIsRejected() async throws {
        expectError(try await send(pubsub, "PUT", "/v1/projects/p/topics/9x"), 400, "INVALID_ARGUMENT")
        expectError(try await send(pubsub, "PUT", "/v1/projects/p/topics/goog-topic"), 400, "INVALID_ARGUMENT")
    }

    @Test func missingTopicIsNotFoundWithItsID() async throws {
        let response = try await send(pubsub, "GET", topic)
        expectError(response, 404, "NOT_FOUND", reason: "notFound", message: "Resource not found (resource=orders).")
        expectError(try await publish(#"[{"data":"eA=="}]"#), 404, "NOT_FOUND")
    }

    @Test func topicListPagesWithPageSize() async throws {
        for id in ["t-c", "t-a", "t-b"] { _ = try await send(pubsub, "PUT", "/v1/projects/p/topics/\(id)") }
        _ = try await send(pubsub, "PUT", "/v1/projects/other/topics/t-z")
        let first = try await send(pubsub, "GET", "/v1/projects/p/topics", query: ["pageSize": "2"])
        #expect(first.json["topics"].count == 2)
        #expect(first.json["topics"][0]["name"].string == "projects/p/topics/t-a")
        let token = try #require(first.json["nextPageToken"].string)
        let rest = try await send(pubsub, "GET", "/v1/projects/p/topics", query: ["pageSize": "2", "pageToken": token])
        #expect(rest.json["topics"].count == 1)
        #expect(rest.json["topics"][0]["name"].string == "projects/p/topics/t-c")
        #expect(rest.json["nextPageToken"] == .null)
    }

    @Test func subscriptionGetsGoogleDefaults() async throws {
        try await createTopicAndSubscription()
        let fetched = try await send(pubsub, "GET", subscription).json
        #expect(fetched["name"].string == "projects/p/subscriptions/billing")
        #expect(fetched["topic"].string == "projects/p/topics/orders")
        #expect(fetched["ackDeadlineSeconds"].int == 10)
        #expect(fetched["pushConfig"] == .object([:]))
        #expect(fetched["messageRetentionDuration"].string == "604800s")
        let list = try await send(pubsub, "GET", "/v1/projects/p/subscriptions").json
        #expect(list["subscriptions"][0] == fetched)
        let byTopic = try await send(pubsub, "GET", topic + "/subscriptions").json
        #expect(byTopic["subscriptions"].strings == ["projects/p/subscriptions/billing"])
    }

    @Test func subscriptionToAMissingTopicIsNotFound() async throws {
        let response = try await send(pubsub, "PUT", subscription, json: #"{"topic":"projects/p/topics/ghost"}"#)
        expectError(response, 404, "NOT_FOUND", message: "Resource not found (resource=ghost).")
    }

    @Test func publishNeedsNonEmptyMessages() async throws {
        _ = try await send(pubsub, "PUT", topic)
        expectError(try await publish("[]"), 400, "INVALID_ARGUMENT")
        expectError(try await publish(#"[{"data":""}]"#), 400, "INVALID_ARGUMENT")
        expectError(try await publish(#"[{"data":"!!!"}]"#), 400, "INVALID_ARGUMENT")
        #expect(try await publish(#"[{"attributes":{"k":"v"}}]"#).status == 200)
    }

    @Test func publishedMessagesArePulledAndAcknowledged() async throws {
        try await createTopicAndSubscription()
        let published = try await publish(#"[{"data":"aGVsbG8=","attributes":{"kind":"greeting"}},{"data":"d29ybGQ="}]"#)
        #expect(published.json["messageIds"].count == 2)
        let received = try await pull()["receivedMessages"]
        #expect(received.count == 2)
        let first = received[0]
        #expect(first["message"]["data"].string == "aGVsbG8=")
        #expect(first["message"]["attributes"]["kind"].string == "greeting")
        #expect(first["message"]["messageId"] == published.json["messageIds"][0])
        #expect(first["message"]["publishTime"].string == "2027-01-15T08:00:00.000Z")
        #expect(first["deliveryAttempt"].int == 1)
        let ackIDs = [received[0]["ackId"], received[1]["ackId"]]
        let ack = try await post("acknowledge", String(decoding: try JSONEncoder().encode(["ackIds": ackIDs]), as: UTF8.self))
        #expect(ack.json == .object([:]))
        clock.advance(by: 60)
        #expect(try await pull() == .object([:]))
    }

    @Test func messagesPublishedBeforeTheSubscriptionAreNotDelivered() async throws {
        _ = try await send(pubsub, "PUT", topic)
        _ = try await publish(#"[{"data":"ZWFybHk="}]"#)
        _ = try await send(pubsub, "PUT", subscription, json: #"{"topic":"projects/p/topics/orders"}"#)
        _ = try await publish(#"[{"data":"bGF0ZQ=="}]"#)
        let received = try await pull()["receivedMessages"]
        #expect(received.count == 1)
        #expect(received[0]["message"]["data"].string == "bGF0ZQ==")
    }

    @Test func maxMessagesLimitsAPull() async throws {
        try await createTopicAndSubscription()
        _ = try await publish(#"[{"data":"MQ=="},{"data":"Mg=="},{"data":"Mw=="}]"#)
        #expect(try await pull(2)["receivedMessages"].count == 2)
        #expect(try await pull(2)["receivedMessages"].count == 1)
        expectError(try await post("pull", "{}"), 400, "INVALID_ARGUMENT")
    }

    @Test func unacknowledgedMessageComesBackAfterItsDeadline() async throws {
        try await createTopicAndSubscription(ackDeadline: 20)
        _ = try await publish(#"[{"data":"eA=="}]"#)
        let firstAckID = try #require(try await pull()["receivedMessages"][0]["ackId"].string)
        clock.advance(by: 19)
        #expect(try await pull() == .object([:]))
        clock.advance(by: 1)
        let again = try await pull()["receivedMessages"][0]
        #expect(again["deliveryAttempt"].int == 2)
        #expect(again["ackId"].string != firstAckID)
        // The stale ack id no longer acknowledges the message.
        _ = try await post("acknowledge", #"{"ackIds":["\#(firstAckID)"]}"#)
        clock.advance(by: 20)
        #expect(try await pull()["receivedMessages"][0]["deliveryAttempt"].int == 3)
    }

    @Test func modifyAckDeadlineZeroRedeliversAtOnce() async throws {
        try await createTopicAndSubscription()
        _ = try await publish(#"[{"data":"eA=="}]"#)
        let ackID = try #require(try await pull()["receivedMessages"][0]["ackId"].string)
        let nack = try await post("modifyAckDeadline", #"{"ackIds":["\#(ackID)"],"ackDeadlineSeconds":0}"#)
        #expect(nack.json == .object([:]))
        #expect(try await pull()["receivedMessages"][0]["deliveryAttempt"].int == 2)
    }

    @Test func modifyAckDeadlineExtendsTheLease() async throws {
        try await createTopicAndSubscription()
        _ = try await publish(#"[{"data":"eA=="}]"#)
        let ackID = try #require(try await pull()["receivedMessages"][0]["ackId"].string)
        _ = try await post("modifyAckDeadline", #"{"ackIds":["\#(ackID)"],"ackDeadlineSeconds":60}"#)
        clock.advance(by: 30)
        #expect(try await pull() == .object([:]))
        clock.advance(by: 30)
        #expect(try await pull()["receivedMessages"].count == 1)
        expectError(try await post("modifyAckDeadline", #"{"ackIds":["x"],"ackDeadlineSeconds":601}"#), 400, "INVALID_ARGUMENT")
    }

    @Test func deletingATopicDetachesItsSubscriptions() async throws {
        try await createTopicAndSubscription()
        #expect(try await send(pubsub, "DELETE", topic).json == .object([:]))
        expectError(try await send(pubsub, "GET", topic), 404, "NOT_FOUND")
        #expect(try await send(pubsub, "GET", subscription).json["topic"].string == "_deleted-topic_")
        #expect(try await send(pubsub, "DELETE", subscription).status == 200)
        expectError(try await pull_(), 404, "NOT_FOUND")
    }

    private func pull_() async throws -> APIResponse {
        try await send(pubsub, "POST", subscription + ":pull", json: #"{"maxMessages":1}"#)
    }

    @Test func unknownPubSubPathsAreNotFoundAndSecretsAreNotOurs() async throws {
        expectError(try await send(pubsub, "POST", topic + ":frobnicate"), 404, "NOT_FOUND")
        expectError(try await send(pubsub, "PATCH", subscription), 404, "NOT_FOUND")
        #expect(await pubsub.handle(APIRequest(method: "GET", path: "/v1/projects/p/secrets")) == nil)
        #expect(await pubsub.handle(APIRequest(method: "GET", path: "/storage/v1/b")) == nil)
    }
}

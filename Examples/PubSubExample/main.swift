// pubsub-example [TOPIC]: creates a topic and a subscription (if missing), publishes three
// messages, pulls and acknowledges them.
import Foundation
import GoogleAPICore
import GooglePubsub

let project = ProcessInfo.processInfo.environment["GOOGLE_CLOUD_PROJECT"] ?? "emulator-project"
let topic = "projects/\(project)/topics/\(CommandLine.arguments.dropFirst().first ?? "example-topic")"
let subscription = "projects/\(project)/subscriptions/example-subscription"
let pubsub = try await PubsubClient()
if (try? await pubsub.projects.topics.get(topic: topic)) == nil { _ = try await pubsub.projects.topics.create(name: topic, body: Topic()) }
if (try? await pubsub.projects.subscriptions.get(subscription: subscription)) == nil {
    _ = try await pubsub.projects.subscriptions.create(name: subscription, body: Subscription(topic: topic))
}
let published = try await pubsub.projects.topics.publish(topic: topic, body: PublishRequest(messages: (1...3).map {
    PubsubMessage(attributes: ["sequence": "\($0)"], data: GoogleBytes(Array("hello \($0)".utf8)))
}))
print("published \(published.messageIds ?? []) to \(topic)")
let pulled = try await pubsub.projects.subscriptions.pull(subscription: subscription, body: PullRequest(maxMessages: 10))
for received in pulled.receivedMessages ?? [] {
    print("received \(received.message?.messageId ?? "?"): \(String(decoding: received.message?.data?.bytes ?? [], as: UTF8.self))")
}
_ = try await pubsub.projects.subscriptions.acknowledge(subscription: subscription,
    body: AcknowledgeRequest(ackIds: (pulled.receivedMessages ?? []).compactMap(\.ackId)))
print("acknowledged \(pulled.receivedMessages?.count ?? 0)")
await pubsub.shutdown()

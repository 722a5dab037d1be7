import FoundationEssentials

/// A subscription and its unacknowledged messages, with a lease (ack id and deadline) per delivery.
///
/// A message is handed out again once its deadline passes; each delivery gets a fresh ack id and
/// an ack id of an earlier delivery no longer acts.
struct SubscriptionQueue: Sendable {
    private struct Pending: Sendable {
        var message: PubSubMessage
        var attempts = 0
        var ackID: String?
        var deadline: Date?

        func isAvailable(at now: Date) -> Bool {
            deadline.map { $0 <= now } ?? true
        }
    }

    /// The subscription resource.
    var subscription: PubSubSubscription
    private var pending: [Pending] = []
    private var deliveries = 0

    /// A queue for `subscription`, initially empty.
    init(subscription: PubSubSubscription) {
        self.subscription = subscription
    }

    /// Adds a published message.
    mutating func enqueue(_ message: PubSubMessage) {
        pending.append(Pending(message: message))
    }

    /// Up to `maxMessages` available messages, oldest first, each leased until now + the ack deadline.
    mutating func pull(maxMessages: Int, now: Date) -> [ReceivedMessage] {
        var received: [ReceivedMessage] = []
        let deadline = now.addingTimeInterval(TimeInterval(subscription.ackDeadline))
        for index in pending.indices where received.count < maxMessages && pending[index].isAvailable(at: now) {
            deliveries += 1
            let ackID = "\(subscription.name ?? "")#\(deliveries)"
            pending[index].attempts += 1
            pending[index].ackID = ackID
            pending[index].deadline = deadline
            received.append(
                ReceivedMessage(ackId: ackID, message: pending[index].message, deliveryAttempt: pending[index].attempts))
        }
        return received
    }

    /// Removes the messages whose current delivery has one of `ackIDs`; other ids are ignored.
    mutating func acknowledge(_ ackIDs: [String]) {
        let ids = Set(ackIDs)
        pending.removeAll { $0.ackID.map(ids.contains) ?? false }
    }

    /// Moves the deadline of current deliveries to `deadline` (now: available again at once).
    mutating func modifyDeadline(_ ackIDs: [String], to deadline: Date) {
        let ids = Set(ackIDs)
        for index in pending.indices where pending[index].ackID.map(ids.contains) ?? false {
            pending[index].deadline = deadline
        }
    }
}

// soak [--seconds N] [--concurrency C]: mixed calls against the in-process emulator with faults
// injected (GOAWAY every 97th request, a dropped connection every 1999th publish, a 503 with RetryInfo on
// every 53rd secret read), C workers for N seconds (default 60 and 200). Each worker publishes
// uniquely numbered messages (not idempotent: never retried unless the server cannot have seen
// them), reads a secret (retried) and lists topics; consumers pull and acknowledge throughout.
// Checked at the end: every publish the client saw succeed was delivered exactly once, none twice;
// RSS within 10 % of its level after warm-up (half the run, at most 2 minutes); no
// growth in descriptors or threads.
// Exits 1 on any violation. Bounded by time (and so by count).
import CLinux
import Foundation
import GoogleAPICore
import GoogleAPIEmulator
import GoogleAuth
import GooglePubsub
import GoogleSecretmanager
import MTLS

func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1]) else {
        return fallback
    }
    return value
}
let seconds = option("--seconds", 60), concurrency = option("--concurrency", 200)
/// Prints a line straight to the descriptor (print's stdio buffer holds a piped run's output to the end).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// The process's heap in use, resident memory, open descriptors and threads.
///
/// RSS is what is judged, read after `malloc_trim(0)` has handed the pages malloc holds free back
/// to the system: otherwise RSS keeps creeping up for half an hour as per-thread arenas reach
/// their high-water marks, with the heap in use flat. The heap in use (malloc's allocated bytes,
/// all arenas) is shown to tell live objects from the rest; it swings by megabytes with the
/// requests in flight, so one sample of it is no baseline.
struct Usage: CustomStringConvertible {
    let heap: Int, rss: Int, descriptors: Int, threads: Int
    static func now() -> Usage {
        malloc_trim(0)
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { Int($0.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") } ?? 0
        }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        let malloc = mallinfo2()
        return Usage(heap: Int(malloc.uordblks + malloc.hblkhd), rss: field("VmRSS:") * 1024,
                     descriptors: descriptors, threads: field("Threads:"))
    }
    var description: String {
        "heap in use \(heap / 1_000_000) MB, RSS \(rss / 1_000_000) MB, \(descriptors) descriptors, \(threads) threads"
    }
}

/// What the run saw: per publish, its outcome and the message id it arrived under. Pub/Sub may
/// deliver a message again (a lost pull or acknowledgement): same id, fine. A second id for the
/// same publish means the server processed the request twice: duplicated.
///
/// A publish is forgotten once it is settled (failed, or succeeded and delivered) and nothing has
/// happened to it for `retention`, so the ledger's memory stays flat however long the run and the
/// RSS check sees the client's memory, not the ledger's. A client retry would be delivered within
/// moments of the first, well inside the window; a delivery of a forgotten publish (a redelivery
/// long after the last one) is counted as late, not judged.
final class Ledger: Sendable {
    struct Record {
        var succeeded: Bool?     // nil while the publish call is in flight
        var messageID: Int?      // nil until delivered
        var touched: ContinuousClock.Instant
        var settled: Bool { succeeded == false || (succeeded == true && messageID != nil) }
        /// Succeeded as far as the client saw and not delivered (yet): lost if it stays so.
        var awaitingDelivery: Bool { succeeded == true && messageID == nil }
        /// Delivered while the client has no outcome for its publish: late if it stays so.
        var deliveredWithoutOutcome: Bool { succeeded == nil && messageID != nil }
    }
    struct State {
        var open: [[Int: Record]]
        var duplicated = 0, late = 0, publishes = 0, reads = 0
        var failures: [String: Int] = [:]
        var swept = ContinuousClock.now
    }
    static let retention: Duration = .seconds(20)
    private let state: Locked<State>
    init(workers: Int) { state = Locked(State(open: Array(repeating: [:], count: workers))) }

    func published(worker: Int, sequence: Int, ok: Bool) {
        let now = ContinuousClock.now
        state.withLock { state in
            state.open[worker][sequence, default: Record(touched: now)].succeeded = ok
            state.open[worker][sequence]?.touched = now
            state.publishes += 1
            if now - state.swept > .seconds(5) { Self.sweep(&state, now: now) }
        }
    }
    func delivered(_ id: String, messageID: String?) {
        let parts = id.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, let messageID = messageID.flatMap(Int.init) else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.open.indices.contains(parts[0]) else { return }
            var record = state.open[parts[0]][parts[1]] ?? Record(touched: now)
            if let seen = record.messageID, seen != messageID { state.duplicated += 1 }
            record.messageID = record.messageID ?? messageID
            record.touched = now
            state.open[parts[0]][parts[1]] = record
        }
    }
    /// Publishes that succeeded and are not delivered yet (the subscription's backlog, roughly).
    var undelivered: Int {
        state.withLock { $0.open.reduce(0) { $0 + $1.values.filter(\.awaitingDelivery).count } }
    }
    func failed(_ what: String) { state.withLock { $0.failures[what, default: 0] += 1 } }
    func read() { state.withLock { $0.reads += 1 } }

    /// Forgets the publishes settled and quiet for `retention`, and counts as late the deliveries
    /// of forgotten publishes (a delivery with no publish outcome after a minute: every publish
    /// call has returned by then, its timeout being 30 s).
    private static func sweep(_ state: inout State, now: ContinuousClock.Instant) {
        for worker in state.open.indices {
            var kept: [Int: Record] = [:]
            kept.reserveCapacity(state.open[worker].count)
            for (sequence, record) in state.open[worker] {
                let quiet = now - record.touched
                if record.settled && quiet >= retention { continue }
                if record.deliveredWithoutOutcome && quiet >= .seconds(60) {
                    state.late += 1
                    continue
                }
                kept[sequence] = record
            }
            state.open[worker] = kept
        }
        state.swept = now
    }

    /// Publishes the ledger holds now (its own memory follows this).
    var records: Int { state.withLock { $0.open.reduce(0) { $0 + $1.count } } }

    /// Lost (succeeded, never delivered), duplicated (delivered under two ids) and late (a
    /// delivery of an already forgotten publish) publishes.
    func audit() -> (lost: Int, duplicated: Int, late: Int, publishes: Int, reads: Int, failures: [String: Int]) {
        state.withLock { state in
            let records = state.open.flatMap(\.values)
            let lost = records.filter(\.awaitingDelivery).count
            let late = state.late + records.filter(\.deliveredWithoutOutcome).count
            return (lost, state.duplicated, late, state.publishes, state.reads, state.failures)
        }
    }
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("soak-\(getpid())").path
let emulator = try await GoogleAPIEmulator.start(.init(directory: directory, faults: [
    EmulatorFaultRule(pathPrefix: nil, every: 97, fault: .goAway),
    EmulatorFaultRule(pathPrefix: "/v1/projects/soak/topics/load:publish", every: 1999, fault: .drop),
    EmulatorFaultRule(pathPrefix: "/v1/projects/soak/secrets/", every: 53, fault: .status(503, retryDelay: .milliseconds(20))),
]))
let options = ClientOptions(timeout: .seconds(30),
                            retry: GoogleAPICore.RetryPolicy(maxAttempts: 8, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(100),
                                                             multiplier: 2, retryableStatuses: [429, 500, 502, 503, 504]),
                            tls: TLSConfiguration(trustRoots: .pemFile(emulator.files.caCertificate)), connectTo: emulator.connectTo,
                            environment: AuthEnvironment(variables: emulator.files.environment, homeDirectory: directory))
let pubsub = try await PubsubClient(options: options)
let secrets = try await SecretmanagerClient(options: options)
let topic = "projects/soak/topics/load", subscription = "projects/soak/subscriptions/load"
_ = try await pubsub.projects.topics.create(name: topic, body: Topic())
// A pull whose answer is lost with a dropped connection leaves its messages out until the ack
// deadline: keep it short, and drain for longer than it at the end.
_ = try await pubsub.projects.subscriptions.create(name: subscription, body: Subscription(ackDeadlineSeconds: 10, topic: topic))
_ = try await secrets.projects.secrets.create(parent: "projects/soak", body: Secret(replication: Replication(automatic: Automatic())),
                                              secretId: "key")
_ = try await secrets.projects.secrets.addVersion(parent: "projects/soak/secrets/key",
                                                  body: AddSecretVersionRequest(payload: SecretPayload(data: GoogleBytes(Array("v".utf8)))))

let ledger = Ledger(workers: concurrency)
let start = ContinuousClock.now
let end = start + .seconds(seconds)
// Warm-up: half the run, at most two minutes (buffers, pools and malloc arenas grow to the load first).
let warmUp = start + .seconds(max(1, min(seconds / 2, 120)))
let baseline = Locked<Usage?>(nil)
say("soak: \(concurrency) workers for \(seconds) s against the emulator at 127.0.0.1:\(emulator.port)")

/// Pulls and acknowledges until told to stop and nothing has come for longer than the ack deadline.
@Sendable func consume(until stop: @Sendable () -> Bool) async {
    var empty = 0
    while empty < 550 {   // 550 empty pulls 20 ms apart: 11 s, beyond the 10 s ack deadline (the least Pub/Sub allows)
        guard let pulled = try? await pubsub.projects.subscriptions.pull(subscription: subscription, body: PullRequest(maxMessages: 1000)) else {
            continue
        }
        let messages = pulled.receivedMessages ?? []
        for message in messages {
            ledger.delivered(String(decoding: message.message?.data?.bytes ?? [], as: UTF8.self), messageID: message.message?.messageId)
        }
        if !messages.isEmpty {
            _ = try? await pubsub.projects.subscriptions.acknowledge(subscription: subscription,
                                                                     body: AcknowledgeRequest(ackIds: messages.compactMap(\.ackId)))
        }
        if messages.isEmpty {
            if stop() { empty += 1 }
            try? await Task.sleep(for: .milliseconds(20))
        } else {
            empty = 0
        }
    }
}

let workersDone = Locked(false)
await withTaskGroup(of: Void.self) { group in
    for _ in 0..<4 { group.addTask { await consume { workersDone.withLock { $0 } } } }
    group.addTask {   // a line every tenth of the run, to see the trend
        while ContinuousClock.now < end {
            try? await Task.sleep(for: .seconds(max(1, seconds / 10)))
            say("  \(Int((ContinuousClock.now - start).components.seconds)) s: \(Usage.now()), \(ledger.undelivered) publishes not yet delivered, \(ledger.records) in the ledger")
        }
    }
    group.addTask {
        await withTaskGroup(of: Void.self) { workers in
            for worker in 0..<concurrency {
                workers.addTask {
                    var sequence = 0
                    while ContinuousClock.now < end {
                        do {
                            _ = try await pubsub.projects.topics.publish(topic: topic, body: PublishRequest(messages: [
                                PubsubMessage(data: GoogleBytes(Array("\(worker)-\(sequence)".utf8)))]))
                            ledger.published(worker: worker, sequence: sequence, ok: true)
                        } catch {
                            ledger.published(worker: worker, sequence: sequence, ok: false)
                            ledger.failed("publish: \(type(of: error))")
                        }
                        sequence += 1
                        do {
                            _ = try await secrets.projects.secrets.versions.access(name: "projects/soak/secrets/key/versions/latest")
                            ledger.read()
                        } catch {
                            ledger.failed("secret read: \(error)")
                        }
                        if sequence % 10 == 0 { _ = try? await pubsub.projects.topics.list(project: "projects/soak") }
                        if worker == 0, ContinuousClock.now >= warmUp, baseline.withLock({ $0 == nil }) {
                            let usage = Usage.now()
                            baseline.withLock { $0 = usage }
                            say("after warm-up: \(usage)")
                        }
                    }
                }
            }
        }
        workersDone.withLock { $0 = true }
    }
}
let final = Usage.now()
let audit = ledger.audit()
say("at the end: \(final)")
say("publishes \(audit.publishes), secret reads \(audit.reads), in \(ContinuousClock.now - start)")
say("failures: \(audit.failures.isEmpty ? "none" : audit.failures.map { "\($0.key) ×\($0.value)" }.sorted().joined(separator: ", "))")
say("lost: \(audit.lost), duplicated: \(audit.duplicated), late redeliveries: \(audit.late)")
var problems: [String] = []
if audit.lost > 0 { problems.append("\(audit.lost) publishes reported as successful were never delivered") }
if audit.duplicated > 0 { problems.append("\(audit.duplicated) publishes were delivered twice") }
if audit.failures.keys.contains(where: { $0.hasPrefix("secret read") }) { problems.append("idempotent reads failed despite retries") }
if let base = baseline.withLock({ $0 }) {
    if Double(final.rss) > Double(base.rss) * 1.10 { problems.append("RSS grew from \(base.rss / 1_000_000) to \(final.rss / 1_000_000) MB") }
    if final.descriptors > base.descriptors + 8 { problems.append("descriptors grew from \(base.descriptors) to \(final.descriptors)") }
    if final.threads > base.threads + 4 { problems.append("threads grew from \(base.threads) to \(final.threads)") }
}
await pubsub.shutdown()
await secrets.shutdown()
await emulator.shutdown()
try? FileManager.default.removeItem(atPath: directory)
if problems.isEmpty {
    say("soak: OK")
} else {
    say("soak: FAILED: " + problems.joined(separator: "; "))
    exit(1)
}

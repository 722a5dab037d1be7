// soak [--seconds N] [--concurrency C]: mixed calls against the in-process emulator with faults
// injected (GOAWAY every 97th request, a dropped connection every 1999th publish, a 503 with RetryInfo on
// every 53rd secret read), C workers for N seconds (default 60 and 200). Each worker publishes
// uniquely numbered messages (not idempotent: never retried unless the server cannot have seen
// them), reads a secret (retried) and lists topics; consumers pull and acknowledge throughout.
// Checked at the end: every publish the client saw succeed was delivered exactly once, none twice;
// resident memory within 10 % of its level after warm-up (half the run, at most 2 minutes); no
// growth in descriptors or threads.
// Exits 1 on any violation. Bounded by time (and so by count).
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

/// The process's resident memory, open descriptors and threads.
struct Usage: CustomStringConvertible {
    let rss: Int, descriptors: Int, threads: Int
    static func now() -> Usage {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { Int($0.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") } ?? 0
        }
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return Usage(rss: field("VmRSS:") * 1024, descriptors: descriptors, threads: field("Threads:"))
    }
    var description: String { "RSS \(rss / 1_000_000) MB, \(descriptors) descriptors, \(threads) threads" }
}

/// What the run saw: per worker, the outcome of each publish and the message ids it arrived
/// under. Pub/Sub may deliver a message again (a lost pull or acknowledgement): same id, fine. A
/// second id for the same publish means the server processed the request twice: duplicated.
final class Ledger: Sendable {
    private let state: Locked<(succeeded: [[Bool]], delivered: [[Int]], duplicated: Int, failures: [String: Int], reads: Int, publishes: Int)>
    init(workers: Int) { state = Locked((Array(repeating: [], count: workers), Array(repeating: [], count: workers), 0, [:], 0, 0)) }

    func published(worker: Int, sequence: Int, ok: Bool) {
        state.withLock {
            $0.succeeded[worker].append(ok)
            $0.publishes += 1
        }
    }
    func delivered(_ id: String, messageID: String?) {
        let parts = id.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, let messageID = messageID.flatMap(Int.init) else { return }
        state.withLock { state in
            while state.delivered[parts[0]].count <= parts[1] { state.delivered[parts[0]].append(0) }
            let seen = state.delivered[parts[0]][parts[1]]
            if seen == 0 { state.delivered[parts[0]][parts[1]] = messageID } else if seen != messageID { state.duplicated += 1 }
        }
    }
    func failed(_ what: String) { state.withLock { $0.failures[what, default: 0] += 1 } }
    func read() { state.withLock { $0.reads += 1 } }

    /// Lost (succeeded, never delivered) and duplicated (delivered twice) publishes.
    func audit() -> (lost: Int, duplicated: Int, publishes: Int, reads: Int, failures: [String: Int]) {
        state.withLock { state in
            var lost = 0
            for (worker, outcomes) in state.succeeded.enumerated() {
                for (sequence, ok) in outcomes.enumerated() where ok {
                    if sequence >= state.delivered[worker].count || state.delivered[worker][sequence] == 0 { lost += 1 }
                }
            }
            return (lost, state.duplicated, state.publishes, state.reads, state.failures)
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
print("soak: \(concurrency) workers for \(seconds) s against the emulator at 127.0.0.1:\(emulator.port)")

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
            print("  \(Int((ContinuousClock.now - start).components.seconds)) s: \(Usage.now())")
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
                            print("after warm-up: \(usage)")
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
print("at the end: \(final)")
print("publishes \(audit.publishes), secret reads \(audit.reads), in \(ContinuousClock.now - start)")
print("failures: \(audit.failures.isEmpty ? "none" : audit.failures.map { "\($0.key) ×\($0.value)" }.sorted().joined(separator: ", "))")
print("lost: \(audit.lost), duplicated: \(audit.duplicated)")
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
    print("soak: OK")
} else {
    print("soak: FAILED: " + problems.joined(separator: "; "))
    exit(1)
}

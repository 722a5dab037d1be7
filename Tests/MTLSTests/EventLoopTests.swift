import Foundation
@testable import MTLS
import Testing

@Suite("The event loop")
struct EventLoopTests {
    @Test("work runs on the loop thread in submission order, and shutdown ends that thread")
    func ordersWorkAndShutsDown() async throws {
        let loop = EventLoop(name: "loop-under-test")
        let order = await withCheckedContinuation { (continuation: CheckedContinuation<[Int], Never>) in
            let box = OrderBox()
            for index in 0..<100 {
                loop.execute {
                    precondition(loop.inEventLoop)
                    box.values.append(index)
                    if index == 99 { continuation.resume(returning: box.values) }
                }
            }
        }
        #expect(order == Array(0..<100))
        #expect(!loop.inEventLoop)
        #expect(try threads(named: "loop-under-test") == 1)
        loop.shutdown()
        #expect(try threads(named: "loop-under-test") == 0)
    }

    @Test("timers fire in deadline order, and cancelled ones never run, also across sweeps of cancelled timers")
    func timersFireInOrder() async {
        let loop = EventLoop(name: "timer-test")
        defer { loop.shutdown() }
        let fired = Locked<[Int]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                for delay in [30, 10, 20] {
                    loop.schedule(after: .milliseconds(delay)) { fired.withLock { $0.append(delay) } }
                    for _ in 0..<100 {   // enough cancels to sweep the heap while live timers sit in it
                        loop.cancel(loop.schedule(after: .milliseconds(delay + 1)) { fired.withLock { $0.append(-1) } })
                    }
                }
                loop.schedule(after: .milliseconds(80)) { done.resume() }
            }
        }
        #expect(fired.withLock { $0 } == [10, 20, 30])
    }

    @Test("hundreds of timers with random deadlines fire in deadline order while cancelled ones are swept from around them")
    func randomTimersFireInOrder() async {
        let loop = EventLoop(name: "timer-test")
        defer { loop.shutdown() }
        // Each timer's deadline is known within the clock readings just before and just after
        // scheduling it (the thread may be preempted in between); timers record their number
        // when they fire, so the firing order can be checked against the deadlines exactly.
        let bounds = Locked<[ClosedRange<ContinuousClock.Instant>]>([])
        let fired = Locked<[Int]>([])
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            loop.execute {
                for number in 0..<300 {
                    let delay = Duration.microseconds(Int.random(in: 1_000...60_000))
                    let earliest = ContinuousClock.now + delay
                    loop.schedule(after: delay) { fired.withLock { $0.append(number) } }
                    let latest = ContinuousClock.now + delay
                    bounds.withLock { $0.append(earliest...latest) }
                    for _ in 0..<3 {
                        loop.cancel(loop.schedule(after: .microseconds(Int.random(in: 1_000...60_000))) {
                            fired.withLock { $0.append(-1) }   // must never run
                        })
                    }
                }
                loop.schedule(after: .milliseconds(150)) { done.resume() }
            }
        }
        let order = fired.withLock { $0 }, deadlines = bounds.withLock { $0 }
        #expect(order.count == 300 && !order.contains(-1))
        // A timer may fire after the next one only if their deadlines could be in that order.
        let firedDeadlines = order.filter { $0 >= 0 }.map { deadlines[$0] }
        #expect(zip(firedDeadlines, firedDeadlines.dropFirst()).allSatisfy { $1.upperBound >= $0.lowerBound })
    }

    @Test("cancelled timers are let go long before their deadline, so request deadlines do not pile up")
    func cancelledTimersAreSwept() async {
        let loop = EventLoop(name: "timer-test")
        defer { loop.shutdown() }
        let held = await withCheckedContinuation { (done: CheckedContinuation<Int, Never>) in
            loop.execute {
                for _ in 0..<10_000 {
                    loop.cancel(loop.schedule(after: .seconds(3600)) {})
                }
                done.resume(returning: loop.heldTimers)
            }
        }
        #expect(held <= 65)
    }

    private func threads(named name: String) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").filter { task in
            let comm = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return comm?.trimmingCharacters(in: .whitespacesAndNewlines) == name
        }.count
    }
}

/// Touched only on the loop thread in the test above.
private final class OrderBox: @unchecked Sendable {
    var values: [Int] = []
}

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

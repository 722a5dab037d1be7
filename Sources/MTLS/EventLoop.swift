import CLinux
import Dispatch
import FoundationEssentials
import Glibc
import Synchronization

/// One thread running `epoll_wait`: it watches sockets, runs timers and runs submitted work in order.
///
/// It is the `SerialExecutor` of the actors it drives (`TLSConnection`), so their state is touched
/// only on this thread. Loops usually come from an `EventLoopGroup` (`EventLoopGroup.shared`); call
/// `shutdown()` on loops you make yourself, or their thread and descriptors stay until the process ends.
public final class EventLoop: @unchecked Sendable {
    // Sendable because every mutable field is either behind `inbox` (`Locked`) or touched only on the
    // loop thread (asserted with `preconditionInEventLoop`); `thread` is written once before init returns.

    /// A loop of the process-wide group, for connections made without one in mind.
    public static var shared: EventLoop { EventLoopGroup.shared.next() }

    /// Readiness of a registered descriptor, as `epoll` reports it.
    package struct Events: OptionSet, Sendable {
        package let rawValue: UInt32
        package init(rawValue: UInt32) { self.rawValue = rawValue }
        package static let readable = Events(rawValue: EPOLLIN.rawValue)
        package static let writable = Events(rawValue: EPOLLOUT.rawValue)
        package static let hangup = Events(rawValue: EPOLLHUP.rawValue | EPOLLERR.rawValue | EPOLLRDHUP.rawValue)
        /// Report once, then stay quiet until `watch` arms the descriptor again.
        package static let once = Events(rawValue: EPOLLONESHOT.rawValue)
    }

    /// A scheduled timer, to cancel it.
    package struct TimerID: Hashable, Sendable { let value: UInt64 }

    private struct Timer {
        let deadline: ContinuousClock.Instant
        let id: TimerID
        let work: () -> Void
    }

    /// A binary min-heap of timers by deadline; cancelled ones are skipped when they reach the top,
    /// and swept out once they outnumber the live ones (request deadlines are mostly cancelled long
    /// before they are due: kept, they would hold a deadline's worth of closures).
    private struct TimerHeap {
        private var items: [Timer] = []
        /// Timers in the heap that have not been cancelled, and those that have.
        private var live: Set<TimerID> = []
        private var cancelled: Set<TimerID> = []

        /// Timers held, cancelled ones not yet swept out included.
        var count: Int { items.count }

        var first: Timer? {
            mutating get {
                while let top = items.first, cancelled.remove(top.id) != nil { _ = popFirst() }
                return items.first
            }
        }

        mutating func insert(_ timer: Timer) {
            live.insert(timer.id)
            items.append(timer)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[child].deadline < items[parent].deadline else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }

        mutating func cancel(_ id: TimerID) {
            if live.remove(id) != nil { cancelled.insert(id) }
            if cancelled.count > 64 && cancelled.count > live.count { sweep() }
        }

        /// Drops the cancelled timers and rebuilds the heap (linear time, paid for by as many cancels).
        private mutating func sweep() {
            items.removeAll { cancelled.contains($0.id) }
            cancelled.removeAll(keepingCapacity: true)
            for index in stride(from: items.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
        }

        @discardableResult
        mutating func popFirst() -> Timer? {
            guard !items.isEmpty else { return nil }
            items.swapAt(0, items.count - 1)
            let top = items.removeLast()
            live.remove(top.id)
            siftDown(0)
            return top
        }

        private mutating func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && items[left].deadline < items[smallest].deadline { smallest = left }
                if right < items.count && items[right].deadline < items[smallest].deadline { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }

    private struct Inbox {
        var work: [Work] = []
        var stopping = false
    }

    /// A job, and whether it came through `taskExecutor` (nonisolated code of a task that prefers
    /// the loop) rather than through the loop as the serial executor of an actor.
    private struct LocalJob {
        let job: UnownedJob
        let preferring: Bool
    }

    /// The loop as a `TaskExecutor`: a task made with `Task(executorPreference: loop.taskExecutor)`
    /// runs its nonisolated code on the loop thread, so talking to connections on this loop
    /// needs no thread switch. Blocking in such a task blocks the loop.
    public var taskExecutor: EventLoopTaskExecutor { preference }
    private var preference: EventLoopTaskExecutor!

    private let epollFD: Int32
    private let wakeFD: Int32
    private let inbox = Locked(Inbox())
    /// Set after work is put in the inbox (or the loop is told to stop), so the loop looks at the
    /// inbox only when there is news: most turns take no lock.
    private let inboxChanged = Atomic<Bool>(false)
    private var thread = pthread_t()
    private let finished = DispatchSemaphore(value: 0)

    // Loop-thread state.
    /// Jobs enqueued from the loop thread itself: no lock, no wake-up, no closure needed.
    private var localJobs: [LocalJob] = []
    /// The generation of local jobs being run (kept to reuse its storage).
    private var runningJobs: [LocalJob] = []
    /// Work taken from the inbox to run this turn (kept to reuse its storage).
    private var submitted: [Work] = []
    /// The inbox said the loop must stop (once all that is submitted has run).
    private var stopping = false
    /// Work deferred to the end of the turn, and the generation of it being run.
    private var turnEnd: [LocalWork] = []
    private var runningTurnEnd: [LocalWork] = []

    /// A closure kept in an array: held in a struct it is stored as it is, where an array of bare
    /// closures would wrap each in an allocated reabstraction thunk.
    private struct Work {
        let run: @Sendable () -> Void
    }
    /// `Work` from the loop thread itself, which need not be `Sendable`.
    private struct LocalWork {
        let run: () -> Void
    }
    private var handlers: [Int32: (Events) -> Void] = [:]
    private var timers = TimerHeap()
    private var nextTimerID: UInt64 = 0

    /// Starts a loop on a new thread named `name`.
    public init(name: String) {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(epollFD >= 0 && wakeFD >= 0, "epoll/eventfd unavailable: errno \(errno)")
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        preference = EventLoopTaskExecutor(loop: self)
        let started = DispatchSemaphore(value: 0)
        let box = Unmanaged.passRetained(StartBox(loop: self, started: started, name: name))
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        // The new thread writes `thread` itself before `started` fires; the parent's copy stays local.
        var created = pthread_t()
        let result = pthread_create(&created, &attributes, { raw in
            let box = Unmanaged<StartBox>.fromOpaque(raw!).takeRetainedValue()
            box.loop.run(name: box.name, started: box.started)
            return nil
        }, box.toOpaque())
        precondition(result == 0, "cannot start the event loop thread: \(result)")
        _ = created
        pthread_attr_destroy(&attributes)
        started.wait()
    }

    private final class StartBox {
        let loop: EventLoop
        let started: DispatchSemaphore
        let name: String
        init(loop: EventLoop, started: DispatchSemaphore, name: String) {
            self.loop = loop; self.started = started; self.name = name
        }
    }

    /// Whether the caller runs on this loop's thread.
    public var inEventLoop: Bool { pthread_equal(pthread_self(), thread) != 0 }

    package func preconditionInEventLoop(file: StaticString = #fileID, line: UInt = #line) {
        precondition(inEventLoop, "must run on the event loop thread", file: file, line: line)
    }

    /// Runs `work` on the loop thread, after work submitted before it.
    ///
    /// Submitting to a loop that was shut down is a programming error and stops the process.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        precondition(tryExecute(work), "work submitted to an event loop that was shut down")
    }

    /// `execute`, or false (and `work` dropped) when the loop has been shut down.
    package func tryExecute(_ work: @escaping @Sendable () -> Void) -> Bool {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.stopping else { return false }
            inbox.work.append(Work(run: work))
            return true
        }
        if accepted { inboxChanged.store(true, ordering: .releasing) }
        // From the loop itself no wake-up is needed: it runs submitted work before it sleeps again.
        if accepted && !inEventLoop {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
        return accepted
    }

    /// Stops the loop thread and closes its descriptors; waits until the thread has ended.
    ///
    /// Registered descriptors are not closed: their owners must have closed them first.
    public func shutdown() {
        precondition(!inEventLoop, "shutdown() must not be called from the loop's own thread")
        let first = inbox.withLock { inbox -> Bool in
            defer { inbox.stopping = true }
            return !inbox.stopping
        }
        guard first else { return }
        inboxChanged.store(true, ordering: .releasing)
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
        finished.wait()
        pthread_join(thread, nil)
        close(epollFD)
        close(wakeFD)
    }

    // MARK: descriptors (loop thread only)

    /// Watches `fd` for `events`; `handler` runs on the loop thread with what happened.
    package func register(_ fd: Int32, for events: Events, handler: @escaping (Events) -> Void) {
        preconditionInEventLoop()
        handlers[fd] = handler
        var event = epoll_event(events: events.rawValue, data: epoll_data_t(fd: fd))
        let result = epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        precondition(result == 0, "epoll_ctl(ADD, \(fd)) failed: errno \(errno)")
    }

    /// Changes which events `fd` is watched for.
    package func watch(_ fd: Int32, for events: Events) {
        preconditionInEventLoop()
        var event = epoll_event(events: events.rawValue, data: epoll_data_t(fd: fd))
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Stops watching `fd`; call before closing it.
    package func deregister(_ fd: Int32) {
        preconditionInEventLoop()
        guard handlers.removeValue(forKey: fd) != nil else { return }
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    /// Runs `work` on the loop thread once this turn's jobs have run (loop thread only): work that
    /// should see everything the turn did, such as writing the frames of every request the turn
    /// made in one go. Work deferred from deferred work runs in the next turn, after I/O.
    package func executeAtEndOfTurn(_ work: @escaping () -> Void) {
        preconditionInEventLoop()
        turnEnd.append(LocalWork(run: work))
    }

    // MARK: timers (loop thread only)

    /// Runs `work` on the loop thread once `delay` has passed, unless cancelled first.
    @discardableResult
    package func schedule(after delay: Duration, _ work: @escaping () -> Void) -> TimerID {
        preconditionInEventLoop()
        nextTimerID += 1
        let id = TimerID(value: nextTimerID)
        timers.insert(Timer(deadline: .now + delay, id: id, work: work))
        return id
    }

    /// Cancels a timer that has not fired yet; cancelling a fired timer does nothing.
    package func cancel(_ id: TimerID) {
        preconditionInEventLoop()
        timers.cancel(id)
    }

    /// Timers the loop holds, cancelled ones not yet swept out included (for tests).
    package var heldTimers: Int {
        preconditionInEventLoop()
        return timers.count
    }

    // MARK: the loop

    private func run(name: String, started: DispatchSemaphore) {
        thread = pthread_self()
        clinux_set_thread_name(String(name.prefix(15)))
        started.signal()
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let count = epoll_wait(epollFD, &events, Int32(events.count), waitMilliseconds())
            for index in 0..<max(0, Int(count)) {
                let fd = events[index].data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                } else {
                    handlers[fd]?(Events(rawValue: events[index].events))
                }
            }
            runDueTimers()
            if !runSubmittedWork() { break }
        }
        finished.signal()
    }

    /// Whether submitted work is waiting, or the loop is stopping (then epoll must not sleep).
    private var hasSubmittedWork: Bool {
        stopping || !localJobs.isEmpty || !turnEnd.isEmpty || inboxChanged.load(ordering: .acquiring)
    }

    /// Milliseconds until the next timer, or -1 to wait for I/O only.
    private func waitMilliseconds() -> Int32 {
        if hasSubmittedWork { return 0 }
        guard let first = timers.first else { return -1 }
        let remaining = ContinuousClock.now.duration(to: first.deadline)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        return Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, 3_600_000))
    }

    private func runDueTimers() {
        let now = ContinuousClock.now
        while let first = timers.first, first.deadline <= now {
            timers.popFirst()
            first.work()
        }
    }

    /// Runs one batch of what was submitted, so work that submits more work cannot starve I/O
    /// and timers; false once the loop is stopping and nothing is left.
    private func runSubmittedWork() -> Bool {
        if inboxChanged.exchange(false, ordering: .acquiring) {
            inbox.withLock { inbox in
                swap(&inbox.work, &submitted)
                stopping = inbox.stopping
            }
        }
        for work in submitted { work.run() }
        let ranSubmitted = !submitted.isEmpty
        submitted.removeAll(keepingCapacity: true)
        runLocalJobs()
        runTurnEnd()
        return !(stopping && !ranSubmitted && localJobs.isEmpty && turnEnd.isEmpty)
    }

    /// Runs the work deferred to the end of this turn, then the jobs it enqueued.
    private func runTurnEnd() {
        guard !turnEnd.isEmpty else { return }
        swap(&turnEnd, &runningTurnEnd)
        for work in runningTurnEnd { work.run() }
        runningTurnEnd.removeAll(keepingCapacity: true)
        runLocalJobs()
    }

    /// Local jobs run per loop turn before I/O and timers get their turn.
    private static let jobBudget = 1024

    /// Runs the jobs the loop enqueued for itself and those they enqueue in turn, up to
    /// `jobBudget` per turn: a chain of actor hops completes without an `epoll_wait` between its
    /// links, and jobs that keep enqueuing jobs still cannot starve I/O and timers.
    private func runLocalJobs() {
        var budget = Self.jobBudget
        while !localJobs.isEmpty && budget > 0 {
            swap(&localJobs, &runningJobs)
            budget -= runningJobs.count
            for job in runningJobs { run(job) }
            runningJobs.removeAll(keepingCapacity: true)
        }
    }
}

extension EventLoop: SerialExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        enqueue(LocalJob(job: UnownedJob(job), preferring: false))
    }

    /// A task that prefers this loop has nonisolated code to run.
    fileprivate func enqueuePreferring(_ job: consuming ExecutorJob) {
        enqueue(LocalJob(job: UnownedJob(job), preferring: true))
    }

    private func enqueue(_ job: LocalJob) {
        if inEventLoop {
            localJobs.append(job)
        } else {
            execute { self.run(job) }
        }
    }

    /// Runs a job on the executor it was enqueued on: the loop as the task executor of a task's
    /// nonisolated code, or as the serial executor of an actor, and then on this thread, which is
    /// the task executor's too. The runtime then needs no new job for calls between nonisolated
    /// functions of a task that prefers the loop, nor for hops between its actors on this loop.
    private func run(_ job: LocalJob) {
        if job.preferring {
            job.job.runSynchronously(on: preference.asUnownedTaskExecutor())
        } else {
            job.job.runSynchronously(isolatedTo: asUnownedSerialExecutor(), taskExecutor: preference.asUnownedTaskExecutor())
        }
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    public func checkIsolated() {
        preconditionInEventLoop()
    }
}

/// An event loop as a `TaskExecutor` (`EventLoop.taskExecutor`); its jobs run on the loop thread.
public final class EventLoopTaskExecutor: TaskExecutor {
    private unowned let loop: EventLoop

    fileprivate init(loop: EventLoop) { self.loop = loop }

    public func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueuePreferring(job)
    }

    public func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }
}

/// An actor whose serial executor is an event loop (`unownedExecutor` returns
/// `loop.asUnownedSerialExecutor()`): its isolation is the loop's thread.
package protocol EventLoopBound: Actor {
    /// The loop that runs the actor.
    nonisolated var loop: EventLoop { get }
}

extension EventLoopBound {
    /// Runs `operation` isolated to the actor, from code on the loop's thread that is not itself
    /// isolated: a descriptor, timer or end-of-turn callback of the loop.
    ///
    /// `assumeIsolated` does the same, but costs more than the callbacks' own work: outside a job
    /// its runtime check first asks whether the executor is the main one, and it wraps its closure
    /// in an allocated box (`withoutActuallyEscaping`). Here being on the loop's thread, the same
    /// condition for an actor run by the loop, is checked instead, and `operation` is escaping so
    /// nothing is wrapped (a closure that captures nothing allocates nothing, at least when the
    /// caller is in this module).
    package nonisolated func onLoop<T, E: Error>(_ operation: @escaping (isolated Self) throws(E) -> T) throws(E) -> T {
        loop.preconditionInEventLoop()
        // Sound: the thread check above is what isolation to this actor means.
        return try unsafeBitCast(operation, to: ((Self) throws(E) -> T).self)(self)
    }

    /// `onLoop` passing `argument` to `operation`: what the operation needs goes here rather than
    /// into a capture, which would be allocated with the closure.
    package nonisolated func onLoop<Argument, T, E: Error>(
        _ argument: Argument, _ operation: @escaping (isolated Self, Argument) throws(E) -> T
    ) throws(E) -> T {
        loop.preconditionInEventLoop()
        return try unsafeBitCast(operation, to: ((Self, Argument) throws(E) -> T).self)(self, argument)
    }
}

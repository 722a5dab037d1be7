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
    /// `assumeIsolated` does the same, but outside a job its runtime check first asks whether the
    /// executor is the main one, which costs more than the callbacks' own work; being on the
    /// loop's thread is the same condition for an actor run by the loop, and checked here instead.
    package nonisolated func onLoop<T>(_ operation: (isolated Self) throws -> T) rethrows -> T {
        loop.preconditionInEventLoop()
        return try withoutActuallyEscaping(operation) { isolated in
            // Sound: the thread check above is what isolation to this actor means.
            try unsafeBitCast(isolated, to: ((Self) throws -> T).self)(self)
        }
    }
}

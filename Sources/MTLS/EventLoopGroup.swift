import FoundationEssentials
import Glibc
import Synchronization

/// A fixed set of event loops that connections are spread over, round robin.
///
/// `EventLoopGroup.shared` (one loop per core) serves every client in the process that does not
/// bring its own, and lives as long as the process. Groups you make yourself must be shut down.
public final class EventLoopGroup: Sendable {
    /// One loop per core, shared by the whole process.
    public static let shared = EventLoopGroup(loopCount: ProcessInfo.processInfo.activeProcessorCount, name: "mtls-loop")

    /// The loops, each with its own thread.
    public let loops: [EventLoop]
    private let counter = Atomic<Int>(0)

    /// Starts `loopCount` loops (at least one), named `name-0`, `name-1`, ...
    public init(loopCount: Int, name: String = "loop") {
        loops = (0..<max(1, loopCount)).map { EventLoop(name: "\(name)-\($0)") }
    }

    /// The next loop in turn.
    public func next() -> EventLoop {
        loops[counter.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Stops every loop's thread; connections on them must be closed first.
    public func shutdown() {
        loops.forEach { $0.shutdown() }
    }
}

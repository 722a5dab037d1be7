/// Where the client reports connection and stream events, shaped like swift-log's `Logger`:
/// its seven levels, a message and string metadata. Silent by default.
///
/// Connection events are logged at `debug`, stream events at `trace`. No header value, token or
/// key is ever logged. Bridge to swift-log by forwarding to a `Logger` (see the README).
public struct ClientLogger: Sendable {
    /// swift-log's levels, most verbose first.
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The least severe level passed on.
    public let level: Level
    private let sink: (@Sendable (Level, String, [String: String]) -> Void)?

    /// Passes events at `level` or above to `sink`.
    public init(level: Level = .info, _ sink: @escaping @Sendable (_ level: Level, _ message: String,
                                                                  _ metadata: [String: String]) -> Void) {
        self.level = level
        self.sink = sink
    }

    private init() {
        level = .critical
        sink = nil
    }

    /// Logs nothing.
    public static let silent = ClientLogger()

    /// Reports an event; the message and metadata are built only when the level is enabled.
    func log(_ level: Level, _ message: @autoclosure () -> String,
             _ metadata: @autoclosure () -> [String: String] = [:]) {
        guard let sink, level >= self.level else { return }
        sink(level, message(), metadata())
    }
}

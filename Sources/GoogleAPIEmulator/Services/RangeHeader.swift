/// A download's `Range: bytes=...` header resolved against the object's size.
///
/// Only single ranges are honoured; several ranges or an unreadable header mean the whole object.
enum RangeHeader: Equatable {
    /// No usable range: send everything with 200.
    case whole
    /// Send these bytes with 206.
    case partial(ClosedRange<Int>)
    /// Answer 416.
    case unsatisfiable

    /// Reads `bytes=a-b`, `bytes=a-` and `bytes=-n` against an object of `size` bytes.
    init(_ header: String?, size: Int) {
        guard let header, header.lowercased().hasPrefix("bytes="), !header.contains(",") else {
            self = .whole
            return
        }
        let spec = header.dropFirst("bytes=".count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2 else {
            self = .whole
            return
        }
        let first = spec[0].trimmingSpaces
        let last = spec[1].trimmingSpaces
        self = first.isEmpty ? Self.suffix(last, size: size) : Self.span(first, last, size: size)
    }

    /// `bytes=-n`: the last n bytes.
    private static func suffix(_ count: String, size: Int) -> RangeHeader {
        guard let count = Int(count) else { return .whole }
        guard count > 0, size > 0 else { return .unsatisfiable }
        return .partial(max(0, size - count)...(size - 1))
    }

    /// `bytes=a-b` or `bytes=a-`.
    private static func span(_ first: String, _ last: String, size: Int) -> RangeHeader {
        guard let start = Int(first) else { return .whole }
        if last.isEmpty { return start < size ? .partial(start...(size - 1)) : .unsatisfiable }
        guard let end = Int(last), end >= start else { return .whole }
        guard start < size else { return .unsatisfiable }
        return .partial(start...min(end, size - 1))
    }
}

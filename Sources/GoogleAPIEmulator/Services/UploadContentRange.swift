/// The `Content-Range` of a resumable upload request: `bytes a-b/total`, `bytes a-b/*`,
/// `bytes */total` or `bytes */*` (the last two ask what has been stored).
struct UploadContentRange: Equatable, Sendable {
    /// The bytes this request carries; nil for `*`.
    var range: ClosedRange<Int>?
    /// The object's final size; nil for `*` (not known yet).
    var total: Int?

    /// A range with these parts.
    init(range: ClosedRange<Int>?, total: Int?) {
        self.range = range
        self.total = total
    }

    /// Parses the header value; nil when it is not one of the four forms.
    init?(_ header: String) {
        let text = header.trimmingSpaces
        guard text.lowercased().hasPrefix("bytes ") else { return nil }
        let parts = text.dropFirst("bytes ".count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let spans = parts[0].trimmingSpaces
        let totalText = parts[1].trimmingSpaces
        if totalText == "*" {
            total = nil
        } else {
            guard let total = Int(totalText), total >= 0 else { return nil }
            self.total = total
        }
        if spans == "*" {
            range = nil
            return
        }
        let bounds = spans.split(separator: "-").map { Int($0) }
        guard bounds.count == 2, let start = bounds[0], let end = bounds[1], start >= 0, end >= start else { return nil }
        range = start...end
    }
}

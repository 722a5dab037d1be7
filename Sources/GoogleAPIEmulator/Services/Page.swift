/// One page of a list, with an opaque token for the next one (an encoded offset).
struct Page<Element> {
    /// The items on this page.
    var items: [Element]
    /// The token that fetches the following page; nil on the last page.
    var nextPageToken: String?

    /// The page of `all` that `token` points at, holding `size` items (default when nil or <= 0,
    /// capped at `maxSize`); nil when the token was not made here.
    init?(of all: [Element], size: Int?, token: String?, defaultSize: Int, maxSize: Int) {
        var start = 0
        if let token, !token.isEmpty {
            guard let offset = Self.offset(of: token) else { return nil }
            start = min(offset, all.count)
        }
        let count = min(size.flatMap { $0 > 0 ? $0 : nil } ?? defaultSize, maxSize)
        let end = min(all.count, start + count)
        items = Array(all[start..<end])
        nextPageToken = end < all.count ? Base64.encode(Array("offset:\(end)".utf8)) : nil
    }

    private static func offset(of token: String) -> Int? {
        guard let bytes = Base64.decode(token), let text = String(validating: bytes, as: UTF8.self),
            text.hasPrefix("offset:"), let offset = Int(text.dropFirst("offset:".count)), offset >= 0
        else { return nil }
        return offset
    }
}

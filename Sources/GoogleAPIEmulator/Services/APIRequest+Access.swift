extension APIRequest {
    /// The first value of query parameter `name`.
    func queryValue(_ name: String) -> String? {
        query[name]?.first
    }

    /// Query parameter `name` as an integer; nil when absent or not a number.
    func queryInt(_ name: String) -> Int? {
        queryValue(name).flatMap { Int($0) }
    }

    /// The authority the client dialled (`host`, else `:authority`), for absolute URLs in responses.
    func authority(default fallback: String) -> String {
        headers["host"] ?? headers[":authority"] ?? fallback
    }
}

/// A list response that may continue on another page.
public protocol PagedResponse: Decodable, Sendable {
    /// The token for the next page; nil or empty on the last page.
    var nextPageToken: String? { get }
}

/// The pages of a list call, fetched one at a time as they are iterated (`pageToken` /
/// `nextPageToken`); the sequence ends after the page without a next token.
public struct Pages<Page: PagedResponse>: AsyncSequence, Sendable {
    public typealias Element = Page
    private let fetch: @Sendable (_ pageToken: String?) async throws -> Page

    /// Pages fetched by `fetch`, which is given nil first and then each next token.
    public init(fetch: @escaping @Sendable (_ pageToken: String?) async throws -> Page) {
        self.fetch = fetch
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let fetch: @Sendable (String?) async throws -> Page
        var token: String?
        var finished = false

        public mutating func next() async throws -> Page? {
            guard !finished else { return nil }
            let page = try await fetch(token)
            token = page.nextPageToken
            finished = token?.isEmpty ?? true
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fetch: fetch) }
}

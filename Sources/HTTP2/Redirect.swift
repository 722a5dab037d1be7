import FoundationEssentials

/// Which redirects the client follows: GET and HEAD only, to https only, with `authorization`
/// dropped when the redirect leads to another host or port.
enum Redirect {
    static let statuses: Set<Int> = [301, 302, 303, 307, 308]

    /// The request to send next, or nil when `response` is not a redirect to follow.
    static func next(after request: HTTPRequest, response: HTTPResponse, limit: Int) throws -> HTTPRequest? {
        guard limit > 0, statuses.contains(response.status), ["GET", "HEAD"].contains(request.method),
              let location = response.headers.first(name: "location") else { return nil }
        guard let base = URL(string: request.url), let url = URL(string: location, relativeTo: base)?.absoluteURL else {
            throw HTTPClientError(.invalidRequest, "the redirect location \"\(location)\" is not a URL")
        }
        guard url.scheme?.lowercased() == "https" else {
            throw HTTPClientError(.insecureRedirect, "\(request.url) redirected to \(url.absoluteString): only https "
                                  + "redirects are followed, so credentials never travel in the clear")
        }
        var next = request
        next.url = url.absoluteString
        if url.host?.lowercased() != base.host?.lowercased() || url.port != base.port {
            next.headers.remove(name: "authorization")
        }
        return next
    }
}

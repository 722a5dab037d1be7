/// Text shown inside doc comments: backticks would end a code span, so they are dropped.
enum DocText {
    /// `value` as an inline code span.
    static func code(_ value: String) -> String {
        "`" + value.replacing("`", with: "") + "`"
    }

    /// The prefix of Google's OAuth scopes, left out of method comments.
    static let scopePrefix = "https://www.googleapis.com/auth/"

    /// `https://www.googleapis.com/auth/cloud-platform` → `cloud-platform`; other scopes unchanged.
    static func shortScope(_ scope: String) -> String {
        scope.hasPrefix(scopePrefix) && scope.count > scopePrefix.count ? String(scope.dropFirst(scopePrefix.count)) : scope
    }
}

/// A path `/v1/projects/{project}/{collection}/...[:verb]`, split and percent-decoded.
///
/// A custom method (`topics/t:publish`) is cut off the last segment into `verb`.
struct ProjectPath: Sendable {
    /// The project as the caller wrote it (number or id).
    var project: String
    /// The segments after the project, starting with the collection; the verb is removed.
    var segments: [String]
    /// The custom method after the last ':' of the last segment, if any.
    var verb: String?

    /// Parses `path`; nil when it is not under `/v1/projects/{project}/` followed by one of `collections`.
    init?(_ path: String, collections: Set<String>) {
        let raw = path.split(separator: "/", omittingEmptySubsequences: false)
        guard raw.count >= 5, raw[0].isEmpty, raw[1] == "v1", raw[2] == "projects" else { return nil }
        var decoded = raw.dropFirst(3).map { PathEncoding.decode($0) ?? String($0) }
        if let colon = decoded[decoded.count - 1].lastIndex(of: ":") {
            let last = decoded[decoded.count - 1]
            verb = String(last[last.index(after: colon)...])
            decoded[decoded.count - 1] = String(last[..<colon])
        }
        guard !decoded[0].isEmpty, collections.contains(decoded[1]) else { return nil }
        project = decoded[0]
        segments = Array(decoded.dropFirst())
    }

    /// `projects/{project}/{segments[0]}/{segments[1]}`: the full name of the resource the path names.
    var resourceName: String {
        "projects/\(project)/\(segments.prefix(2).joined(separator: "/"))"
    }
}

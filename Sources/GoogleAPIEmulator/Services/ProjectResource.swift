/// A resource named `projects/{project}/{collection}/{id}` (the name may be absent in a request body).
protocol ProjectResource {
    var name: String? { get }
}

extension Sequence where Element: ProjectResource {
    /// The resources of `collection` in `project`, sorted by name.
    func listed(in project: String, _ collection: String) -> [Element] {
        filter { ($0.name ?? "").hasPrefix("projects/\(project)/\(collection)/") }
            .sorted { ($0.name ?? "") < ($1.name ?? "") }
    }
}

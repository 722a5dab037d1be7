import FoundationEssentials

/// A Cloud Storage bucket held by `StorageService`, with its objects.
struct StorageBucket: Sendable {
    /// The bucket's JSON resource (`storage#bucket`).
    struct Resource: Encodable, Sendable {
        let kind = "storage#bucket"
        var id: String
        var name: String
        var projectNumber: String?
        var timeCreated: String
        var updated: String
        var location: String
        var storageClass: String
        var etag: String
        var metageneration: String
        var labels: [String: String]?
    }

    var name: String
    /// The project as the creator named it (number or id).
    var project: String
    var created: Date
    var location: String
    var storageClass: String
    var labels: [String: String]?
    /// Current objects by name.
    var objects: [String: StorageObject] = [:]

    /// The resource as the API returns it; `projectNumber` only when the project was given as a number.
    func resource() -> Resource {
        let time = RFC3339.string(from: created)
        let isNumber = !project.isEmpty && project.allSatisfy(\.isASCII) && project.allSatisfy(\.isNumber)
        return Resource(
            id: name, name: name, projectNumber: isNumber ? project : nil, timeCreated: time, updated: time,
            location: location, storageClass: storageClass, etag: "CAE=", metageneration: "1", labels: labels)
    }

    /// Whether `name` is a valid bucket name: 3–63 of `a-z 0-9 - _ .`, starting and ending alphanumeric.
    static func isValidName(_ name: String) -> Bool {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar)
        }
        let alphanumeric: (Character?) -> Bool = { $0.map { $0.isLetter || $0.isNumber } ?? false }
        return (3...63).contains(name.count) && allowed && alphanumeric(name.first) && alphanumeric(name.last)
    }
}

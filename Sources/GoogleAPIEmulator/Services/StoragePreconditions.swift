/// The `ifGenerationMatch` family of query parameters, checked against the current object.
struct StoragePreconditions: Sendable {
    var ifGenerationMatch: Int64?
    var ifGenerationNotMatch: Int64?
    var ifMetagenerationMatch: Int64?
    var ifMetagenerationNotMatch: Int64?

    /// Reads the parameters from `request`'s query.
    init(_ request: APIRequest) {
        let value = { (name: String) in request.queryValue(name).flatMap { Int64($0) } }
        ifGenerationMatch = value("ifGenerationMatch")
        ifGenerationNotMatch = value("ifGenerationNotMatch")
        ifMetagenerationMatch = value("ifMetagenerationMatch")
        ifMetagenerationNotMatch = value("ifMetagenerationNotMatch")
    }

    /// Throws 412 conditionNotMet unless every given condition holds for `object` (nil: no live
    /// object, generation 0).
    func check(_ object: StorageObject?) throws(ServiceError) {
        let generation = object?.generation ?? 0
        let metageneration: Int64? = object == nil ? nil : 1
        let holds =
            (ifGenerationMatch.map { $0 == generation } ?? true)
            && (ifGenerationNotMatch.map { $0 != generation } ?? true)
            && (ifMetagenerationMatch.map { $0 == metageneration } ?? true)
            && (ifMetagenerationNotMatch.map { $0 != metageneration } ?? true)
        guard holds else {
            throw .failedPrecondition(
                "A precondition in the request (ifGenerationMatch and the like) does not hold.", code: 412,
                reason: "conditionNotMet")
        }
    }
}

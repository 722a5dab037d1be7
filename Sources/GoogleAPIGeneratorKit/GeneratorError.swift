/// Why a document could not be turned into Swift.
enum GeneratorError: Error, CustomStringConvertible, Equatable {
    case unknownSchema(String, usedBy: String)
    case unreadableDocument(String)

    var description: String {
        switch self {
        case .unknownSchema(let name, let user): "schema \(name) (used by \(user)) is not defined in the document"
        case .unreadableDocument(let reason): "not a Discovery document: \(reason)"
        }
    }
}

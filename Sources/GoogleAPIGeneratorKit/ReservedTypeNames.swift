/// Names the generated code itself uses: a schema with one of these names would hide them,
/// so such schemas (and nested types) are renamed.
enum ReservedTypeNames {
    static let all: Set<String> = [
        // Standard library.
        "Any", "AnyObject", "Bool", "CodingKey", "Codable", "Decodable", "Decoder", "Double",
        "Encodable", "Encoder", "Float", "Hashable", "Hasher", "Int", "Int32", "Int64",
        "LosslessStringConvertible", "Never", "Protocol", "RawRepresentable", "Self", "Sendable",
        "String", "Swift", "Type", "UInt32", "UInt64", "Void",
        // GoogleAPICore.
        "ClientOptions", "Empty", "GoogleAPICore", "GoogleBytes", "GoogleInt64", "GoogleInteger", "GoogleJSONValue",
        "GoogleTimestamp", "GoogleUInt64", "MediaSink", "MediaSource", "PagedResponse", "Pages",
        "QueryItem", "ServiceClient", "ServiceDescription", "UploadProtocol",
        // Generated helpers.
        "CodingKeys", "Indirect",
    ]
}

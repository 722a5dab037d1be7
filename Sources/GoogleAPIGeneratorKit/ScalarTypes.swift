/// How Discovery scalar types and formats map to Swift types.
enum ScalarTypes {
    /// The type of a model property, or nil when the schema is not a scalar
    /// (strings carry 64-bit integers, bytes and timestamps in JSON, hence the wrappers).
    static func modelType(type: String?, format: String?) -> String? {
        switch (type, format) {
        case ("string", "int64"): "GoogleInt64"
        case ("string", "uint64"): "GoogleUInt64"
        case ("string", "byte"): "GoogleBytes"
        case ("string", "date-time"), ("string", "google-datetime"): "GoogleTimestamp"
        case ("string", _): "String"
        default: numericType(type: type, format: format)
        }
    }

    /// The type of a method parameter: plain Swift numbers, since query strings carry any of them.
    static func parameterType(type: String?, format: String?) -> String {
        switch (type, format) {
        case ("string", "int64"): "Int64"
        case ("string", "uint64"): "UInt64"
        case ("string", _): "String"
        default: numericType(type: type, format: format) ?? "String"
        }
    }

    /// Integers, numbers, booleans and `any`.
    private static func numericType(type: String?, format: String?) -> String? {
        switch (type, format) {
        case ("integer", "uint32"): "UInt32"
        case ("integer", "int64"): "Int64"
        case ("integer", "uint64"): "UInt64"
        case ("integer", _): "Int32"
        case ("number", "float"): "Float"
        case ("number", _): "Double"
        case ("boolean", _): "Bool"
        case ("any", _): "GoogleJSONValue"
        default: nil
        }
    }
}

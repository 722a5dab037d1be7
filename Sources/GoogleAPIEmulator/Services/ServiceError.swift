/// A failure a service handler throws; it becomes a Google error envelope response.
struct ServiceError: Error {
    /// HTTP status code.
    var code: Int
    /// Human-readable message (also repeated in `errors[0].message`).
    var message: String
    /// The google.rpc code name, e.g. "NOT_FOUND".
    var status: String
    /// The legacy reason, e.g. "notFound".
    var reason: String
    /// Extra response headers (e.g. `content-range` on 416).
    var headers: [(String, String)] = []

    /// The error as a response.
    var response: APIResponse {
        var response = APIResponse.error(code, message, status: status, reason: reason)
        response.headers += headers
        return response
    }

    /// 404 NOT_FOUND.
    static func notFound(_ message: String) -> ServiceError {
        ServiceError(code: 404, message: message, status: "NOT_FOUND", reason: "notFound")
    }

    /// 409 ALREADY_EXISTS; Cloud Storage uses reason "conflict".
    static func alreadyExists(_ message: String, reason: String = "alreadyExists") -> ServiceError {
        ServiceError(code: 409, message: message, status: "ALREADY_EXISTS", reason: reason)
    }

    /// 400 INVALID_ARGUMENT.
    static func invalidArgument(_ message: String, reason: String = "badRequest") -> ServiceError {
        ServiceError(code: 400, message: message, status: "INVALID_ARGUMENT", reason: reason)
    }

    /// FAILED_PRECONDITION, 400 by default (Cloud Storage uses 409 and 412 with it too).
    static func failedPrecondition(_ message: String, code: Int = 400, reason: String = "failedPrecondition")
        -> ServiceError
    {
        ServiceError(code: code, message: message, status: "FAILED_PRECONDITION", reason: reason)
    }

    /// 404 for a path under a service's prefix that names no method.
    static func noRoute(_ request: APIRequest) -> ServiceError {
        notFound("No method \(request.method) \(request.path).")
    }
}

/// The JSON body of a Google API error: `{"error":{"code","message","status","errors":[...]}}`.
struct GoogleErrorEnvelope: Codable, Sendable {
    /// The inner `error` object.
    struct Body: Codable, Sendable {
        var code: Int
        var message: String
        var status: String
        var errors: [Item]
    }

    /// One entry of `errors` (the legacy, per-reason form).
    struct Item: Codable, Sendable {
        var message: String
        var domain: String
        var reason: String
    }

    var error: Body

    /// An envelope with a single `errors` entry in the "global" domain.
    init(code: Int, message: String, status: String, reason: String) {
        error = Body(
            code: code, message: message, status: status,
            errors: [Item(message: message, domain: "global", reason: reason)])
    }
}

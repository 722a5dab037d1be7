/// An `APIService` actor that first recognises the requests meant for it as a `Route`, then answers
/// them; a `ServiceError` thrown on the way becomes its Google error response.
protocol RoutedService: APIService, Actor {
    /// What a recognised request names (a resource path, a method).
    associatedtype Route

    /// The route of `request`; nil when the request is not for this service.
    static func route(of request: APIRequest) -> Route?

    /// The answer to `request` on `route`.
    func respond(to request: APIRequest, _ route: Route) throws(ServiceError) -> APIResponse
}

extension RoutedService {
    /// Answers the requests `route(of:)` recognises; nil for anything else.
    public func handle(_ request: APIRequest) async -> APIResponse? {
        guard let route = Self.route(of: request) else { return nil }
        do {
            return try respond(to: request, route)
        } catch {
            return error.response
        }
    }
}

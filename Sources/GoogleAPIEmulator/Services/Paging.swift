/// How one API pages its lists: the query parameter that sets the page size, that size's default and
/// cap, and the error for a page token it did not make.
struct Paging: Sendable {
    var sizeParameter = "pageSize"
    var defaultSize: Int
    var maxSize: Int
    var invalidToken = ServiceError.invalidArgument("Invalid page token.")

    /// The page of `all` that `request` asks for with `pageToken` and the size parameter.
    func page<T>(_ all: [T], _ request: APIRequest) throws(ServiceError) -> Page<T> {
        guard
            let page = Page(
                of: all, size: request.queryInt(sizeParameter), token: request.queryValue("pageToken"),
                defaultSize: defaultSize, maxSize: maxSize)
        else { throw invalidToken }
        return page
    }
}

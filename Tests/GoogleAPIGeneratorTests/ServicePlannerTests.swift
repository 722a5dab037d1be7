import Testing
@testable import GoogleAPIGeneratorKit

@Suite struct ServicePlannerTests {
    private func service() throws -> ServicePlan {
        let document = try Fixtures.document("widgets.v1.json")
        let models = try ModelPlanner.plan(schemas: document.schemas ?? [:], reservedTypeNames: ["WidgetsClient"])
        return try ServicePlanner.plan(document: document, models: models, clientName: "WidgetsClient")
    }

    private func resource(_ path: [String]) throws -> ResourcePlan {
        var current = try service().root
        for key in path { current = try #require(current.children.first { $0.path.last == key }) }
        return current
    }

    private func method(_ path: [String], _ key: String) throws -> MethodPlan {
        try #require(try resource(path).methods.first { $0.key == key })
    }

    private let widgets = ["projects", "locations", "widgets"]

    @Test func resourcesNestAsTypes() throws {
        let root = try service().root
        #expect(root.qualifiedTypeName == "WidgetsClient")
        #expect(root.children.map(\.propertyName) == ["operations", "projects"])
        #expect(try resource(widgets).qualifiedTypeName == "WidgetsClient.ProjectsResource.LocationsResource.WidgetsResource")
        #expect(root.methods.map(\.name) == ["ping"])
    }

    @Test func requiredParametersFollowParameterOrderThenOptionalSorted() throws {
        let create = try method(widgets, "create")
        #expect(create.required.map(\.name) == ["parent", "widgetId"])
        #expect(create.optional.map(\.name) == ["validateOnly"])
        #expect(create.requestType == "Widget")
        let get = try method(["projects", "gadgets"], "get")
        #expect(get.required.map(\.name) == ["parent", "gadgetId", "revision", "kind"])
        #expect(get.required.map(\.declaredType) == ["String", "String", "Int32", "Kind"])
    }

    @Test func queryParameterTypes() throws {
        let search = try method(widgets, "search")
        let types = Dictionary(uniqueKeysWithValues: search.optional.map { ($0.discoveryName, $0.declaredType) })
        #expect(types == [
            "maxSize": "UInt64?", "minSize": "Int64?", "minWeight": "Double?", "names": "[String]?",
            "options.requestedPolicyVersion": "Int32?", "pageToken": "String?", "query": "String?",
            "showDeleted": "Bool?", "states": "[States]?",
        ])
        #expect(search.queryVariable == "query_")
    }

    @Test func enumTypesAreSharedWhenTheValuesAgree() throws {
        #expect(try resource(["projects", "gadgets"]).enums.map(\.name) == ["Kind", "View"])
        #expect(try resource(widgets).enums.map(\.name) == ["States", "GetView", "ListView"])
        #expect(try resource(widgets).enums.map(\.methods) == [[], ["get"], ["list"]])
        // A top-level `Status` schema exists, so the enum takes another name.
        #expect(try resource(["operations"]).enums.map(\.name) == ["StatusParameter"])
    }

    @Test func pagingNeedsAPageTokenAndANextPageToken() throws {
        #expect(try method(widgets, "list").pagesName == "listPages")
        #expect(try method(widgets, "search").pagesName == "searchPages")
        #expect(try method(["projects", "gadgets"], "list").pagesName == "listPages")
        #expect(try method(widgets, "get").pagesName == nil)
    }

    @Test func mediaMethods() throws {
        let upload = try #require(try method(widgets, "upload").upload)
        #expect(upload.simplePath == "/upload/widgets/v1/{+name}:upload")
        #expect(upload.resumablePath == "/resumable/upload/widgets/v1/{+name}:upload")
        #expect(upload.maxSize == "10MB")
        let attach = try #require(try method(widgets, "attach").upload)
        #expect(attach.simplePath == attach.resumablePath)
        #expect(try method(widgets, "download").mediaDownloadName == "downloadMedia")
        #expect(try method(widgets, "get").mediaDownloadName == nil)
    }

    @Test func responses() throws {
        #expect(try method(widgets, "delete").responseIsEmpty)
        #expect(try method(widgets, "touch").responseType == nil)
        #expect(try method(widgets, "get").responseType == "Widget")
        #expect(try method(widgets, "import").name == "import")
    }
}

// Runs the golden output itself: the fixture modules are the golden files compiled as targets
// (`GoogleAPIGeneratorWidgetsFixture`, `GoogleAPIGeneratorTinyFixture`); without them this file is empty.
#if canImport(GoogleAPIGeneratorWidgetsFixture) && canImport(GoogleAPIGeneratorTinyFixture)
import Foundation
import GoogleAPICore
import GoogleAPIGeneratorTinyFixture
import GoogleAPIGeneratorWidgetsFixture
import Testing

@Suite struct GeneratedCodeTests {
    private func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    /// The JSON object as Foundation sees it, to compare documents regardless of key order.
    private func object(_ data: Data) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    private func roundTrips<T: Codable & Equatable>(_ type: T.Type, _ json: String) throws {
        let value = try decode(type, json)
        let encoded = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(type, from: encoded) == value)
        #expect(try object(encoded) == object(Data(json.utf8)))
    }

    @Test func recursiveSchemasRoundTrip() throws {
        let json = #"{"name":"a","parent":{"name":"p","parent":{"name":"pp"}},"owner":{"email":"o@example.com","widget":{"name":"w","owner":{"email":"deep"}}},"children":[{"name":"c"}]}"#
        let widget = try decode(Widget.self, json)
        #expect(widget.parent?.parent?.name == "pp")
        #expect(widget.owner?.widget?.owner?.email == "deep")
        #expect(widget.children?.first?.name == "c")
        try roundTrips(Widget.self, json)
        try roundTrips(Node.self, #"{"value":"1","next":{"value":"2","meta":{"depth":1,"node":{"value":"3"}}}}"#)
        try roundTrips(Holder.self, #"{"ring":{"next":{"ring":{"next":{}}}},"points":[{"x":1,"y":2}],"anything":[1,"a",null]}"#)
    }

    @Test func boxedPropertiesCanBeSetAndMutated() {
        var widget = Widget(name: "a", parent: Widget(name: "p"))
        widget.parent?.name = "q"
        #expect(widget.parent?.name == "q")
        widget.parent = nil
        #expect(widget.parent == nil)
        #expect(widget == Widget(name: "a"))
    }

    @Test func keywordAndRenamedKeysKeepTheirJSONNames() throws {
        let json = #"{"@type":"t","type":"ROUND","default":true,"protocol":"p","self":"s","class":3,"in":["x"],"content-type":"c","123start":"n","Indirect":"i"}"#
        let widget = try decode(Widget.self, json)
        #expect(widget.type_ == "t")
        #expect(widget.type == .round)
        #expect(widget.default == true)
        #expect(widget.protocol == "p")
        #expect(widget.self_ == "s")
        #expect(widget.class == 3)
        #expect(widget.in == ["x"])
        #expect(widget.contentType == "c")
        #expect(widget._123start == "n")
        #expect(widget.Indirect_ == "i")
        try roundTrips(Widget.self, json)
    }

    @Test func unknownEnumValuesSurvive() throws {
        let widget = try decode(Widget.self, #"{"state":"SOMETHING_NEW","parts":[{"kind":"BOLT"}]}"#)
        #expect(widget.state?.rawValue == "SOMETHING_NEW")
        #expect(widget.parts?.first?.kind == .bolt)
        #expect(Widget.State.private.rawValue == "private")
        #expect(Widget.State._3d.rawValue == "3D")
        try roundTrips(Widget.self, #"{"state":"SOMETHING_NEW","parts":[{"kind":"BOLT"}]}"#)
    }

    @Test func formatsDecode() throws {
        let json = #"{"id":"123","size":"18446744073709551615","counters":{"a":"5"},"matrix":[["1","2"]],"checksum":"AQID","payload":{"k":[1,"x",null,true]},"labels":{"env":"prod"},"dimensions":{"width":1.5,"unit":{"name":"cm"}},"attributes":{"color":{"value":"red","weight":2}}}"#
        let widget = try decode(Widget.self, json)
        #expect(widget.id?.value == 123)
        #expect(widget.size?.value == UInt64.max)
        #expect(widget.counters?["a"] == 5)
        #expect(widget.matrix == [[1, 2]])
        #expect(widget.checksum?.bytes == [1, 2, 3])
        #expect(widget.dimensions?.unit?.name == "cm")
        #expect(widget.attributes?["color"]?.weight == 2)
        try roundTrips(Widget.self, json)
        let timed = try decode(Widget.self, #"{"createTime":"2024-01-02T03:04:05.123Z","updateTime":"2024-01-02T03:04:05Z"}"#)
        #expect(timed.createTime != nil && timed.updateTime != nil)
    }

    @Test func emptyValuesEncodeAsEmptyObjects() throws {
        #expect(String(decoding: try JSONEncoder().encode(Widget()), as: UTF8.self) == "{}")
        #expect(try decode(Widget.self, "{}") == Widget())
    }

    @Test func pagedResponsesConform() {
        let page: any PagedResponse = ListWidgetsResponse(nextPageToken: "t")
        #expect(page.nextPageToken == "t")
    }

    /// The API surface, checked by the compiler: these closures are built, never run.
    @Test func clientSurfaceHasTheExpectedShape() {
        let calls: [@Sendable (WidgetsClient) async throws -> Void] = [
            { _ = try await $0.ping() },
            { _ = try await $0.projects.locations.widgets.list(parent: "p", pageSize: 10, view: .basic) },
            { for try await _ in $0.projects.locations.widgets.listPages(parent: "p", filter: "f") {} },
            { _ = try await $0.projects.locations.widgets.create(parent: "p", widgetId: "w", body: Widget(name: "n")) },
            { try await $0.projects.locations.widgets.delete(name: "n") },
            { try await $0.projects.locations.widgets.touch(name: "n") },
            { _ = try await $0.projects.locations.widgets.import(parent: "p", body: Widget()) },
            { _ = try await $0.projects.locations.widgets.search(parent: "p", names: ["a", "b"], states: [.active]) },
            { _ = try await $0.projects.locations.widgets.upload(name: "n", media: .bytes([1]), uploadProtocol: .simple) },
            { _ = try await $0.projects.locations.widgets.upload(name: "n", body: Widget(), media: .file("/tmp/x")) },
            { try await $0.projects.locations.widgets.attach(name: "n", media: .bytes([]), progress: { _, _ in }) },
            { try await $0.projects.locations.widgets.downloadMedia(name: "n", to: .file("/tmp/x")) },
            { _ = try await $0.projects.gadgets.get(parent: "p", gadgetId: "g", revision: 3, kind: .small, view: .full) },
            { _ = try await $0.operations.get(name: "operations/1") },
            { await $0.shutdown() },
        ]
        #expect(calls.count == 15)
        #expect(WidgetsClient.service.name == "widgets")
        #expect(TinyApiClient.service.name == "tiny-api")
    }
}
#endif

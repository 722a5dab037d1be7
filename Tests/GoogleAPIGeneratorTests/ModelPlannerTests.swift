import Foundation
import Testing
@testable import GoogleAPIGeneratorKit

@Suite struct ModelPlannerTests {
    @Test(arguments: [
        ("id", "GoogleInt64"), ("size", "GoogleUInt64"), ("checksum", "GoogleBytes"), ("createTime", "GoogleTimestamp"),
        ("updateTime", "GoogleTimestamp"), ("ttl", "String"), ("updateMask", "String"), ("birthday", "String"),
        ("count", "Int32"), ("flags", "UInt32"), ("weight", "Double"), ("ratio", "Float"), ("enabled", "Bool"),
        ("payload", "GoogleJSONValue"), ("labels", "[String: String]"), ("counters", "[String: GoogleInt64]"),
        ("tags", "[String]"), ("matrix", "[[GoogleInt64]]"), ("state", "Widget.State"), ("type", "Widget.WidgetType"),
        ("dimensions", "Widget.Dimensions"), ("parts", "[Widget.Parts]"), ("attributes", "[String: Widget.AttributesValue]"),
        ("gadget", "Widget.WidgetGadget"), ("primaryGadget", "Gadget"), ("parent", "Widget"), ("children", "[Widget]"),
    ])
    func propertyTypes(_ json: String, _ spelled: String) throws {
        let plan = try Fixtures.widgetModels()
        let property = try #require(plan.property("Widget", json))
        #expect(plan.spelling(property.type) == spelled)
    }

    @Test(arguments: [
        ("Widget", "parent", true), ("Widget", "owner", true), ("Owner", "widget", true), ("Node", "next", true),
        ("Node", "meta", true), ("Node.Meta", "node", true), ("Widget", "children", false), ("Widget", "primaryGadget", false),
        ("Gadget", "widgets", false), ("Widget", "dimensions", false), ("Operation", "error", false),
    ])
    func cyclesAreBoxedExactlyWhereNeeded(_ type: String, _ json: String, _ boxed: Bool) throws {
        let property = try #require(try Fixtures.widgetModels().property(type, json))
        #expect((property.boxedStorage != nil) == boxed)
        if boxed { #expect(property.boxedStorage == "_" + property.name) }
    }

    @Test func keywordAndOddKeysGetSwiftNames() throws {
        let plan = try Fixtures.widgetModels()
        let names = Dictionary(uniqueKeysWithValues: try #require(plan.declaration("Widget")).properties.map { ($0.jsonName, $0.name) })
        #expect(names["type"] == "type")
        #expect(names["@type"] == "type_")
        #expect(names["content-type"] == "contentType")
        #expect(names["default"] == "default")
        #expect(names["self"] == "self_")
        #expect(names["123start"] == "_123start")
        #expect(names["Indirect"] == "Indirect_")
    }

    @Test func nestedTypesNeverHideTypesTheirParentUses() throws {
        let plan = try Fixtures.widgetModels()
        // Operation refers to the top-level Status, so its `status` enum cannot be called Status.
        #expect(plan.spelling(try #require(plan.property("Operation", "status")).type) == "Operation.OperationStatus")
        // Widget refers to the top-level Gadget, so its inline `gadget` object cannot be called Gadget.
        #expect(plan.declaration("Widget.WidgetGadget") != nil)
        // `type` would be `Type`, which Swift reserves.
        #expect(plan.declaration("Widget.WidgetType") != nil)
    }

    @Test func reservedSchemaNamesAreRenamed() throws {
        let plan = try Fixtures.widgetModels()
        #expect(plan.schemaTypes["Type"].map(plan.spelling) == "TypeModel")
        #expect(plan.schemaTypes["Empty"] == .builtin("Empty"))
        #expect(plan.schemaTypes["Nothing"].map(plan.spelling) == "Nothing")
        #expect(plan.schemaTypes["LabelMap"].map(plan.spelling) == "LabelMap")
    }

    @Test func enumValuesKeepDocumentOrderWithoutDuplicates() throws {
        let plan = try Fixtures.widgetModels()
        guard case .enumeration(let members) = try #require(plan.declaration("Widget.State")).kind else {
            Issue.record("Widget.State is not an enum")
            return
        }
        #expect(members.map(\.name) == ["stateUnspecified", "active", "private", "_3d", "withDash", "self_", "rawValue_"])
        #expect(members.map(\.rawValue) == ["STATE_UNSPECIFIED", "ACTIVE", "private", "3D", "with-dash", "self", "rawValue"])
    }

    @Test func onlyStructsWithANextPageTokenArePaged() throws {
        let plan = try Fixtures.widgetModels()
        #expect(plan.declaration("ListWidgetsResponse")?.isPagedResponse == true)
        #expect(plan.declaration("ListGadgetsResponse")?.isPagedResponse == true)
        #expect(plan.declaration("Widget")?.isPagedResponse == false)
    }

    @Test func inlineTypesOfTopLevelAliasesBecomeTopLevel() throws {
        let document = try Fixtures.document("tiny.v2beta.json")
        let plan = try ModelPlanner.plan(schemas: document.schemas ?? [:], reservedTypeNames: [])
        #expect(plan.schemaTypes["Points"].map(plan.spelling) == "Points")
        #expect(plan.declaration("Points").map { if case .alias(let target) = $0.kind { plan.spelling(target) } else { "" } } == "[PointsItem]")
        #expect(plan.property("Ring", "next")?.boxedStorage == "_next")
        #expect(plan.property("RingLink", "ring")?.boxedStorage == "_ring")
    }

    @Test func unknownReferencesAreReported() throws {
        let json = Data(#"{"name":"x","version":"v1","rootUrl":"https://x/","servicePath":"","schemas":{"A":{"type":"object","properties":{"b":{"$ref":"Missing"}}}}}"#.utf8)
        #expect(throws: GeneratorError.unknownSchema("Missing", usedBy: "A.b")) {
            try Generator.generate(json: json)
        }
    }

    @Test func stronglyConnectedComponents() {
        // 0 → 1 → 2 → 0, 2 → 3, 3 → 3, 4 alone.
        let labels = StronglyConnectedComponents.label(nodeCount: 5, edges: [[1], [2], [0, 3], [3], []])
        #expect(labels[0] == labels[1] && labels[1] == labels[2])
        #expect(labels[3] != labels[0] && labels[4] != labels[0] && labels[4] != labels[3])
    }
}

import Foundation
@testable import GoogleAPIGeneratorKit

/// The fixture documents and golden files next to this file (found through `#filePath`).
enum Fixtures {
    static let directory = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "Fixtures")

    /// Set `UPDATE_GOLDENS=1` to rewrite the golden files instead of comparing with them.
    static var updatingGoldens: Bool {
        ProcessInfo.processInfo.environment["UPDATE_GOLDENS"] == "1"
    }

    /// The bytes of `Fixtures/Documents/<name>`.
    static func json(_ name: String) throws -> Data {
        try Data(contentsOf: documentURL(name))
    }

    static func documentURL(_ name: String) -> URL {
        directory.appending(path: "Documents").appending(path: name)
    }

    /// The decoded document `Fixtures/Documents/<name>`.
    static func document(_ name: String) throws -> DiscoveryDocument {
        try Generator.decode(json(name))
    }

    /// `Fixtures/Golden/<module>/<file>`.
    static func golden(_ module: String, _ file: String) -> URL {
        directory.appending(path: "Golden").appending(path: module).appending(path: file)
    }

    /// The model plan of the widgets fixture.
    static func widgetModels() throws -> ModelPlan {
        try ModelPlanner.plan(schemas: document("widgets.v1.json").schemas ?? [:], reservedTypeNames: ["WidgetsClient"])
    }
}

extension ModelPlan {
    /// The declaration with this qualified Swift name.
    func declaration(_ qualifiedName: String) -> ModelDeclaration? {
        declarations.indices.first { self.qualifiedName($0) == qualifiedName }.map { declarations[$0] }
    }

    /// A property of the declaration `qualifiedName`, by JSON key.
    func property(_ qualifiedName: String, _ jsonName: String) -> ModelProperty? {
        declaration(qualifiedName)?.properties.first { $0.jsonName == jsonName }
    }
}

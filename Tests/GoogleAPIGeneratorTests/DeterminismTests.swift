import Foundation
import Testing
@testable import GoogleAPIGeneratorKit

@Suite struct DeterminismTests {
    @Test func sameDocumentGivesSameOutput() throws {
        let json = try Fixtures.json("widgets.v1.json")
        #expect(try Generator.generate(json: json) == Generator.generate(json: json))
    }

    @Test func keyOrderOfTheDocumentDoesNotMatter() throws {
        let json = try Fixtures.json("widgets.v1.json")
        let object = try JSONSerialization.jsonObject(with: json)
        let reordered = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        #expect(reordered != json)
        #expect(try Generator.generate(json: reordered) == Generator.generate(json: json))
    }

    @Test(arguments: ["widgets.v1.json", "tiny.v2beta.json"])
    func descriptionsAreNeverCopied(_ document: String) throws {
        let text = try Generator.generate(json: Fixtures.json(document)).map(\.contents).joined()
        #expect(!text.contains("PROSE-SENTINEL"))
        #expect(try String(contentsOf: Fixtures.documentURL(document), encoding: .utf8).contains("PROSE-SENTINEL"))
    }

    @Test func generatedLinesHaveNoTrailingWhitespace() throws {
        let text = try Generator.generate(json: Fixtures.json("widgets.v1.json")).map(\.contents).joined()
        #expect(!text.split(separator: "\n").contains { $0.last == " " })
        #expect(!text.contains("\t"))
    }
}

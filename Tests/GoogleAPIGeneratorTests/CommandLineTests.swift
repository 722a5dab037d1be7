import Foundation
import Testing
@testable import GoogleAPIGeneratorKit

@Suite struct CommandLineTests {
    @Test func parsesTheOptions() throws {
        let options = try CommandLineOptions(arguments: ["--discovery", "a.json", "--output", "out", "--module", "GoogleA"])
        #expect(options.discovery == "a.json")
        #expect(options.output == "out")
        #expect(options.module == "GoogleA")
        #expect(!options.printModuleName)
    }

    @Test(arguments: [
        ["--output", "out"], ["--discovery", "a.json"], ["--discovery"], ["--discovery", "a.json", "--output", "o", "--bogus"],
        ["--discovery", "a.json", "--output", "o", "--module", "not-an-identifier"],
    ])
    func rejectsBadCommandLines(_ arguments: [String]) {
        #expect(throws: CommandLineError.self) { try CommandLineOptions(arguments: arguments) }
    }

    @Test func printsTheDefaultModuleName() throws {
        let options = try CommandLineOptions(arguments: ["--discovery", Fixtures.documentURL("widgets.v1.json").path,
                                                         "--print-module-name"])
        #expect(try GeneratorCommand.run(options) == ["GoogleWidgets"])
    }

    @Test func writesTheModuleAndLeavesUnchangedFilesAlone() throws {
        let output = FileManager.default.temporaryDirectory.appending(path: "generator-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let options = try CommandLineOptions(arguments: ["--discovery", Fixtures.documentURL("tiny.v2beta.json").path,
                                                         "--output", output.path, "--module", "TinyAPI"])
        let first = try GeneratorCommand.run(options)
        #expect(first.allSatisfy { $0.hasPrefix("wrote ") } && first.count == 2)
        let second = try GeneratorCommand.run(options)
        #expect(second.allSatisfy { $0.hasPrefix("unchanged ") })
        let models = try String(contentsOf: output.appending(path: "Models.swift"), encoding: .utf8)
        #expect(models == (try String(contentsOf: Fixtures.golden("TinyAPI", "Models.swift"), encoding: .utf8)))
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs the generator from parsed options: reads the document, writes the module's files.
package enum GeneratorCommand {
    /// Generates, and returns the lines to print.
    package static func run(_ options: CommandLineOptions) throws -> [String] {
        let json = try Data(contentsOf: URL(filePath: options.discovery))
        if options.printModuleName {
            let document = try Generator.decode(json)
            return [options.module ?? Generator.defaultModuleName(for: document)]
        }
        let files = try Generator.generate(json: json, moduleName: options.module)
        let directory = URL(filePath: options.output!, directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try files.map { file in
            let url = directory.appending(path: file.name)
            let changed = try write(file.contents, to: url)
            return (changed ? "wrote " : "unchanged ") + url.path
        }
    }

    /// Writes `contents` unless the file already holds it (so builds see no change); true if written.
    static func write(_ contents: String, to url: URL) throws -> Bool {
        let data = Data(contents.utf8)
        if let existing = try? Data(contentsOf: url), existing == data { return false }
        try data.write(to: url, options: .atomic)
        return true
    }
}

import Foundation

/// Reads whole files for the loaders, with errors that name the file.
enum FileBytes {
    static func read(_ path: String, what: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TLSError(.unreadableFile, "\(what) \(path) does not exist")
        }
        guard !isDirectory.boolValue else {
            throw TLSError(.unreadableFile, "\(what) \(path) is a directory, not a file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSError(.unreadableFile, "\(what) \(path) cannot be read (check its permissions)")
        }
        guard !data.isEmpty else {
            throw TLSError(.malformedInput, "\(what) \(path) is empty")
        }
        return [UInt8](data)
    }
}

import FoundationEssentials
import Glibc

/// The process environment and home directory that discovery reads, injectable for tests.
///
/// `AuthEnvironment.process` is the real one. Tests and tools pass their own to see what a given
/// machine setup would decide, without touching the process's variables.
public struct AuthEnvironment: Sendable {
    /// Environment variables by name.
    public var variables: [String: String]
    /// The user's home directory (`~` in Google's paths).
    public var homeDirectory: String

    /// An environment with these variables and home directory.
    public init(variables: [String: String], homeDirectory: String) {
        self.variables = variables
        self.homeDirectory = homeDirectory
    }

    /// The running process's variables; home is `$HOME`, else the passwd entry (as Go and Python do).
    public static var process: AuthEnvironment {
        let variables = ProcessInfo.processInfo.environment
        return AuthEnvironment(variables: variables, homeDirectory: variables["HOME"].flatMap { $0.isEmpty ? nil : $0 }
                               ?? passwdHome() ?? "/")
    }

    private static func passwdHome() -> String? {
        guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return nil }
        return String(cString: directory)
    }

    /// The value of `name`, nil when unset *or empty* (Google's libraries treat both alike).
    public subscript(name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// The first of `names` that is set and not empty, with its name.
    func first(_ names: String...) -> (name: String, value: String)? {
        for name in names { if let value = self[name] { return (name, value) } }
        return nil
    }

    /// `path` with a leading `~` replaced by the home directory.
    func expand(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return homeDirectory + path.dropFirst()
    }

    /// A path under the home directory.
    func home(_ relative: String) -> String {
        (homeDirectory.hasSuffix("/") ? homeDirectory : homeDirectory + "/") + relative
    }
}

import Glibc

/// Reads environment variables by name.
///
/// `getenv` for just the names asked for: `ProcessInfo.environment` copies every variable into a
/// dictionary on each call and brings much of Foundation's code into memory for a few lookups.
package enum Environment {
    /// The variables among `names` that are set, keyed by name.
    package static func values(_ names: [String]) -> [String: String] {
        var values: [String: String] = [:]
        for name in names {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        return values
    }
}

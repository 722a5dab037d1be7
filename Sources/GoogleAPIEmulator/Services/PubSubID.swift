/// Pub/Sub's rule for topic and subscription ids.
enum PubSubID {
    /// 3–255 of `A-Z a-z 0-9 - _ . ~ + %`, starting with a letter, not starting with "goog".
    static func isValid(_ id: String) -> Bool {
        let allowed = id.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                || "-_.~+%".unicodeScalars.contains(scalar))
        }
        let startsWithLetter = id.first.map { $0.isASCII && $0.isLetter } ?? false
        return (3...255).contains(id.count) && allowed && startsWithLetter && !id.lowercased().hasPrefix("goog")
    }
}

import FoundationEssentials
import GoogleAPIGeneratorKit

/// Discovery documents, through the whole generator (decode, plan, emit).
enum DiscoveryTarget {
    static func run(_ bytes: [UInt8]) {
        _ = try? Generator.generate(json: Data(bytes))
    }
}

import FoundationEssentials
import GoogleStorage

/// The JSON models of one generated API (Cloud Storage): whatever decodes must survive a round trip.
enum StorageModelsTarget {
    static func run(_ bytes: [UInt8]) {
        roundTrip(GoogleStorage.Object.self, bytes)
        roundTrip(Bucket.self, bytes)
        roundTrip(Objects.self, bytes)
    }

    private static func roundTrip<Model: Codable & Equatable>(_ type: Model.Type, _ bytes: [UInt8]) {
        guard let model = try? JSONDecoder().decode(Model.self, from: Data(bytes)) else { return }
        guard let encoded = try? JSONEncoder().encode(model) else { fatalError("\(Model.self) decoded but does not encode") }
        let again = try? JSONDecoder().decode(Model.self, from: encoded)
        precondition(again == model, "\(Model.self) changed in a JSON round trip")
    }
}

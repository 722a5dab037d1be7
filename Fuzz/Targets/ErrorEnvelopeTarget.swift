@testable import GoogleAPICore

/// The REST error envelope (`{"error": {...}}` with details), as any status.
enum ErrorEnvelopeTarget {
    static func run(_ bytes: [UInt8]) {
        let status = Int(bytes.first ?? 0) + 300
        let error = GoogleAPIError.decode(status: status, body: Array(bytes.dropFirst()))
        _ = (error.description, error.retryDelay, error.details.count)
    }
}

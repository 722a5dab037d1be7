// logging-example [TEXT]: writes one log entry to projects/P/logs/swift-example.
import Foundation
import GoogleAPICore
import GoogleLogging

let project = ProcessInfo.processInfo.environment["GOOGLE_CLOUD_PROJECT"] ?? "emulator-project"
let text = CommandLine.arguments.dropFirst().first ?? "hello from swift-google-mtls"
let logging = try await LoggingClient()
_ = try await logging.entries.write(body: WriteLogEntriesRequest(
    entries: [LogEntry(logName: "projects/\(project)/logs/swift-example", resource: MonitoredResource(type: "global"),
                       severity: .info, textPayload: text)]))
print("wrote \"\(text)\" to projects/\(project)/logs/swift-example")
await logging.shutdown()

// h2bench: an h2load-style benchmark of this package's HTTP/2 client over mutual TLS.
//
//   swift run -c release h2bench URL -n N -c C -m M [--cert F --key F [--pass P]] [--cacert F]
//                        [--connect-to HOST:PORT:ADDR:PORT] [--upload FILE] [--json]
//
// -n requests in all, -c connections, -m streams in flight per connection (as h2load means them).
// Prints requests/s, MB/s, latency p50/p99, failures and peak RSS; --json prints one object.
import FoundationEssentials
import Glibc
import HTTP2
import MTLS

struct Options {
    var url = ""
    var requests = 1
    var connections = 1
    var streams = 1
    var certificate: String?
    var key: String?
    var passphrase: String?
    var caFile: String?
    var connectTo: [ConnectTo] = []
    var upload: String?
    var json = false

    static let usage = """
        usage: h2bench URL [-n N] [-c C] [-m M] [--cert FILE --key FILE [--pass PASSPHRASE]] [--cacert FILE]
                           [--connect-to HOST:PORT:ADDR:PORT] [--upload FILE] [--json]
        """

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let value = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            return value
        }
        func number(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), number > 0 else { throw UsageError("\(flag) needs a positive number, not \"\(text)\"") }
            return number
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "-n": requests = try number(argument)
            case "-c": connections = try number(argument)
            case "-m": streams = try number(argument)
            case "--cert": certificate = try value(argument)
            case "--key": key = try value(argument)
            case "--pass": passphrase = try value(argument)
            case "--cacert": caFile = try value(argument)
            case "--connect-to": connectTo.append(try ConnectTo(parsing: try value(argument)))
            case "--upload": upload = try value(argument)
            case "--json": json = true
            case "-h", "--help": throw UsageError(nil)
            default:
                guard !argument.hasPrefix("-"), url.isEmpty else { throw UsageError("unknown argument \(argument)") }
                url = argument
            }
        }
        guard !url.isEmpty else { throw UsageError("the URL is missing") }
        guard (certificate == nil) == (key == nil) else { throw UsageError("--cert and --key go together") }
    }
}

struct UsageError: Error {
    let message: String?
    init(_ message: String?) { self.message = message }
}

func run(_ options: Options) async throws -> HTTPBenchmark.Result {
    var tls = TLSConfiguration()
    if let caFile = options.caFile { tls.trustRoots = .pemFile(caFile) }
    if let certificate = options.certificate, let key = options.key {
        tls.clientIdentity = try ClientIdentity.pemFiles(certificate: certificate, privateKey: key, passphrase: options.passphrase)
    }
    let body: HTTPRequest.Body = try options.upload.map { try .file($0) } ?? .none
    let request = HTTPRequest(method: options.upload == nil ? "GET" : "POST", url: options.url, body: body)
    return try await HTTPBenchmark(request: request, tls: tls, connectTo: options.connectTo, requests: options.requests,
                                   connections: options.connections, streams: options.streams).run()
}

func printError(_ text: String) {
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let result = try await run(options)
    if options.json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    } else {
        print(result.summary)
    }
} catch let error as UsageError {
    if let message = error.message { printError("h2bench: \(message)") }
    printError(Options.usage)
    exit(2)
} catch {
    printError("h2bench: \(error)")
    exit(1)
}

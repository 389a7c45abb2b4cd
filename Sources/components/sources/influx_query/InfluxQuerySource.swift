import AsyncHTTPClient
import Foundation
import NIOCore
public import EventModel
public import PipelineRuntime

/// Streams an InfluxQL answer chunk by chunk (`chunked=true`: one JSON document per line),
/// one batch per chunk, so memory stays at one chunk whatever the range.
public struct InfluxQuerySource: Source {
    let configuration: InfluxQueryConfiguration
    let base: URLComponents
    let authorization: String?
    /// Each request's deadline, to the nanosecond (`request_timeout: 500ms` is 500 ms).
    let requestTimeout: TimeAmount
    let client = HTTPClient.shared

    struct QueryError: Error, CustomStringConvertible {
        let description: String
    }

    init(configuration: InfluxQueryConfiguration) throws {
        self.configuration = configuration
        requestTimeout = TimeAmount(configuration.requestTimeout)
        guard var components = URLComponents(string: configuration.url), components.host != nil else {
            throw QueryError(description: "option 'url' is not a valid http(s) URL")
        }
        var path = components.path
        if path.hasSuffix("/") { path.removeLast() }
        components.path = path + "/query"
        base = components
        if let token = configuration.token {
            authorization = "Token \(token.value)"
        } else if let username = configuration.username, let password = configuration.password {
            authorization = "Basic " + Data("\(username):\(password.value)".utf8).base64EncodedString()
        } else {
            authorization = nil
        }
    }

    public func run(context: StageContext, output: StageOutput) async throws {
        for measurement in configuration.measurements {
            let types = try await fieldTypes(measurement)
            guard !types.isEmpty else { continue }
            var conditions: [String] = []
            if let from = configuration.from { conditions.append("time >= \(from)") }
            if let to = configuration.to { conditions.append("time < \(to)") }
            let query = "SELECT * FROM \(source(measurement))" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " GROUP BY *"
            try await stream(query, chunked: true) { answer in
                let points = answer.points(types: types)
                if !points.isEmpty { try await output.send(Batch(points: points)) }
            }
        }
    }

    func source(_ measurement: String) -> String {
        let quoted = InfluxQL.identifier(measurement)
        return configuration.retentionPolicy.map { InfluxQL.identifier($0) + "." + quoted } ?? quoted
    }

    /// Field name → type (`float`, `integer`, `string`, `boolean`).
    func fieldTypes(_ measurement: String) async throws -> [String: String] {
        var types: [String: String] = [:]
        try await stream("SHOW FIELD KEYS FROM \(source(measurement))", chunked: false) { answer in
            for series in answer.results.flatMap({ $0.series ?? [] }) {
                for row in series.values where row.count >= 2 {
                    if case .string(let name) = row[0], case .string(let type) = row[1] { types[name] = type }
                }
            }
        }
        return types
    }

    func stream(_ query: String, chunked: Bool, _ body: (InfluxAnswer) async throws -> Void) async throws {
        var components = base
        components.queryItems = [
            URLQueryItem(name: "db", value: configuration.database), URLQueryItem(name: "q", value: query),
            URLQueryItem(name: "epoch", value: "ns"),
        ] + (chunked ? [URLQueryItem(name: "chunked", value: "true"), URLQueryItem(name: "chunk_size", value: "\(configuration.chunkSize)")] : [])
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        var request = HTTPClientRequest(url: components.string ?? "")
        request.method = .GET
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        let response = try await client.execute(request, timeout: requestTimeout)
        guard response.status == .ok else {
            let text = String(buffer: try await response.body.collect(upTo: 64 * 1024))
            throw QueryError(description: "\(base.host ?? "") answered HTTP \(response.status.code) to a query: \(text.prefix(300))")
        }
        var pending = ByteBuffer()
        for try await chunk in response.body {
            var chunk = chunk
            pending.writeBuffer(&chunk)
            while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = newline - pending.readerIndex
                let line = pending.readSlice(length: length)!
                pending.moveReaderIndex(forwardBy: 1)
                try await body(try InfluxAnswer.decode(line))
            }
            pending.discardReadBytes()
        }
        if pending.readableBytes > 0 { try await body(try InfluxAnswer.decode(pending)) }
    }
}

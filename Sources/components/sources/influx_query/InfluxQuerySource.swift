import AsyncHTTPClient
import Foundation
import CoreMetrics
import Telemetry
import NIOCore
import EventModel
public import PipelineRuntime

/// Streams an InfluxQL answer chunk by chunk (`chunked=true`: one JSON document per line),
/// one batch per chunk, so memory stays at one chunk whatever the range.
public struct InfluxQuerySource: Source {
    let configuration: InfluxQueryConfiguration
    let server: InfluxServer
    /// Each request's deadline, to the nanosecond (`request_timeout: 500ms` is 500 ms).
    let requestTimeout: TimeAmount
    let client = HTTPClient.shared

    init(configuration: InfluxQueryConfiguration) throws {
        self.configuration = configuration
        requestTimeout = TimeAmount(configuration.requestTimeout)
        server = try configuration.server.server()
    }

    public func run(context: StageContext, output: StageOutput) async throws {
        let rows = context.metrics.counter(.influxQueryRows)
        for measurement in configuration.measurements {
            let types = try await fieldTypes(measurement)
            guard !types.isEmpty else { continue }
            var conditions: [String] = []
            if let from = configuration.from { conditions.append("time >= \(from)") }
            if let to = configuration.to { conditions.append("time < \(to)") }
            let query = "SELECT * FROM \(source(measurement))" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " GROUP BY *"
            try await stream(query, chunked: true, received: context.metrics.counter(.receivedBytes)) { answer in
                let points = answer.points(types: types)
                rows.increment(by: Int64(points.count))
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

    func stream(
        _ query: String, chunked: Bool, received: CoreMetrics.Counter? = nil, _ body: (InfluxAnswer) async throws -> Void
    ) async throws {
        let url = try server.url("/query", query: [
            URLQueryItem(name: "db", value: configuration.database), URLQueryItem(name: "q", value: query),
            URLQueryItem(name: "epoch", value: "ns"),
        ] + (chunked ? [URLQueryItem(name: "chunked", value: "true"), URLQueryItem(name: "chunk_size", value: "\(configuration.chunkSize)")] : []))
        let request = server.request(url, method: .GET)
        let response = try await client.execute(request, timeout: requestTimeout)
        guard response.status == .ok else {
            let message = server.message(from: try await InfluxServer.readBody(response.body))
            throw InfluxQueryError.status(server: server.displayName, code: response.status.code, message: message)
        }
        var pending = ByteBuffer()
        for try await chunk in response.body {
            received?.increment(by: Int64(chunk.readableBytes))
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

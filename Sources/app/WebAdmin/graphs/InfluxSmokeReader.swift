public import AsyncHTTPClient
import Foundation
import NIOCore
public import SmokeGraph

/// Reads a target's rounds from InfluxDB 1.x (`POST /query`, InfluxQL) into `SmokeRounds`:
/// `latency` for short ranges, the rollups `latency_1h` / `latency_1d` for long ones, as SmokePing
/// reads coarser archives for longer graphs. Credentials go in the Authorization header and the
/// query in the form body, never in the URL (URLs end up in logs).
public struct InfluxSmokeReader: Sendable {
    public enum Credentials: Sendable {
        case none
        case basic(user: String, password: String)
        /// InfluxDB 2's v1-compatible `Authorization: Token …`.
        case token(String)
    }

    public var baseURL: String
    public var database: String
    public var credentials: Credentials
    /// The probe's step, for the raw measurement.
    public var rawStep: Int
    var client: HTTPClient

    public init(baseURL: String, database: String, credentials: Credentials = .none, rawStep: Int = 300, client: HTTPClient = .shared) {
        self.baseURL = baseURL
        self.database = database
        self.credentials = credentials
        self.rawStep = rawStep
        self.client = client
    }

    /// The measurement and seconds per point for a range: raw rounds up to 2 days, hourly
    /// rollups up to 60 days, daily ones beyond (SmokePing's 30 h / 10 d / 1 y graphs).
    static func source(start: Int, end: Int, rawStep: Int) -> (measurement: String, step: Int) {
        switch end - start {
        case ...(2 * 86_400): ("latency", rawStep)
        case ...(60 * 86_400): ("latency_1h", 3600)
        default: ("latency_1d", 86_400)
        }
    }

    /// The InfluxQL for `target` over [start, end], in unix seconds.
    static func query(measurement: String, target: String, start: Int, end: Int) -> String {
        "SELECT * FROM \"\(identifier(measurement))\" WHERE \"target\" = '\(literal(target))' AND time >= \(start)s AND time <= \(end)s"
    }

    public func read(target: String, start: Int, end: Int) async throws -> SmokeRounds {
        let (measurement, step) = Self.source(start: start, end: end, rawStep: rawStep)
        var request = HTTPClientRequest(url: baseURL.trimmingSuffix("/") + "/query")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        switch credentials {
        case .none: break
        case let .basic(user, password):
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        case let .token(token):
            request.headers.add(name: "Authorization", value: "Token " + token)
        }
        let form = [("db", database), ("epoch", "s"), ("q", Self.query(measurement: measurement, target: target, start: start, end: end))]
            .map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        let data = Data(body.readableBytesView)
        guard response.status.code == 200 else {
            throw InfluxSmokeReaderError(status: Int(response.status.code), message: String(decoding: data, as: UTF8.self))
        }
        return try Self.rounds(fromQueryAnswer: data, start: start, end: end, step: step)
    }

    /// Maps a `/query?epoch=s` answer: one point per round with `median`, `loss` (percent),
    /// `lost`, `pings`, `ping_1` … `ping_N` (or the rollups' `ping_p5` … `ping_p95`).
    static func rounds(fromQueryAnswer data: Data, start: Int, end: Int, step: Int) throws -> SmokeRounds {
        let answer = try JSONDecoder().decode(QueryAnswer.self, from: data)
        if let error = answer.results.first?.error ?? answer.error { throw InfluxSmokeReaderError(status: 200, message: error) }
        var rounds: [SmokeRound] = []
        var pingsSeen = 0
        for series in answer.results.first?.series ?? [] {
            let column = Dictionary(series.columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            let pingColumns = series.columns.enumerated().compactMap { index, name -> (Int, Int)? in
                guard name.hasPrefix("ping_"), let number = Int(name.dropFirst(5)) else { return nil }
                return (number, index)
            }.sorted { $0.0 < $1.0 }.map(\.1)
            // Rollups from the downsample transform carry percentiles instead of ping_i.
            let percentileColumns = series.columns.enumerated()
                .filter { $0.element.hasPrefix("ping_p") && !$0.element.hasSuffix("_min") && !$0.element.hasSuffix("_max") }
                .map(\.offset)
            for row in series.values {
                func number(_ name: String) -> Double? { column[name].flatMap { row[$0].number } }
                guard let time = column["time"].flatMap({ row[$0].number }) else { continue }
                let indexes = pingColumns.isEmpty ? percentileColumns : pingColumns
                let times = indexes.compactMap { row[$0].number }
                let pings = pingColumns.isEmpty && !percentileColumns.isEmpty ? percentileColumns.count : Int(number("pings") ?? Double(pingColumns.count))
                pingsSeen = max(pingsSeen, pings)
                let lost = number("lost") ?? number("loss").map { $0 / 100 * Double(pings) }
                rounds.append(SmokeRound(time: Int(time), pings: pings, times: times, median: number("median"), loss: lost))
            }
        }
        rounds.sort { $0.time < $1.time }
        return SmokeRounds(start: start, end: end, step: step, pings: pingsSeen, rounds: rounds)
    }

    static func identifier(_ name: String) -> String {
        name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// An InfluxQL string literal's body: the target name is user input.
    static func literal(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return (text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text).replacingOccurrences(of: "%20", with: "+")
    }
}

public struct InfluxSmokeReaderError: Error, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var description: String { "InfluxDB /query answered \(status): \(message)" }
}

/// The parts of InfluxDB 1.x's `/query` JSON the reader needs.
struct QueryAnswer: Decodable {
    struct Result: Decodable {
        var series: [Series]?
        var error: String?
    }

    struct Series: Decodable {
        var columns: [String]
        var values: [[Cell]]
    }

    /// A value: number, string, bool or null.
    enum Cell: Decodable {
        case number(Double)
        case other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Double.self) { self = .number(value) } else { self = .other }
        }

        var number: Double? { if case let .number(value) = self { value } else { nil } }
    }

    var results: [Result]
    var error: String?
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}

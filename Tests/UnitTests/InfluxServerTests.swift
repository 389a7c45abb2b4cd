@testable import Components
import EventModel
import Foundation
import NIOCore
import PipelineConfig
import PipelineRuntime
import SmokeflowTesting
import Testing

/// The one InfluxDB endpoint of the `influx` sink and the `influx_query` source: URLs, auth,
/// error bodies and errors, and never a credential where it could be printed.
@Suite struct InfluxServerTests {
    @Test func credentialsInTheURLMoveToTheHeaderAndTheNameHoldsNoSecret() throws {
        let server = try InfluxServer(url: "https://u:hunter2@influx.example:8443/base/", username: nil, password: nil, token: nil)
        #expect(server.displayName == "https://influx.example:8443")
        let url = try server.url("/query", query: [URLQueryItem(name: "q", value: "SELECT a+b"), URLQueryItem(name: "db", value: "d")])
        #expect(url == "https://influx.example:8443/base/query?q=SELECT%20a%2Bb&db=d")
        #expect(!url.contains("hunter2") && !url.contains("u:"))
        #expect(server.authorization?.value == "Basic " + Data("u:hunter2".utf8).base64EncodedString())
        let request = server.request(url, method: .GET)
        #expect(request.headers["Authorization"] == [try #require(server.authorization).value])
        // Review M8: the header value is a Secret, so printing the server or it shows no credential.
        #expect("\(server)".contains("<redacted>") && !"\(server)".contains(Data("u:hunter2".utf8).base64EncodedString()))
        #expect("\(String(describing: server.authorization))" == "Optional(<redacted>)")
    }

    @Test func aTokenWinsAndTheOptionsWinOverTheURL() throws {
        let token = try InfluxServer(url: "http://u:p@h:8086", username: "x", password: Secret("y"), token: Secret("t0k"))
        #expect(token.authorization?.value == "Token t0k")
        let options = try InfluxServer(url: "http://u:p@h", username: "x", password: Secret("y"), token: nil)
        #expect(options.authorization?.value == "Basic " + Data("x:y".utf8).base64EncodedString())
        #expect(try InfluxServer(url: "http://h", username: nil, password: nil, token: nil).authorization == nil)
        #expect(throws: InfluxServer.InvalidURL.self) { try InfluxServer(url: "ftp://h", username: nil, password: nil, token: nil) }
    }

    @Test func errorBodiesBecomeOneRedactedLine() throws {
        let server = try InfluxServer(url: "http://h", username: nil, password: nil, token: Secret("s3cret"))
        #expect(server.message(from: ByteBuffer(string: #"{"error":"database not found: \"x\""}"#)) == #"database not found: "x""#)
        #expect(server.message(from: ByteBuffer(string: #"{"code":"unauthorized","message":"token s3cret is not valid"}"#))
            == "token <redacted> is not valid")
        #expect(server.message(from: ByteBuffer(string: "bad gateway\nfrom proxy")) == "bad gateway from proxy")
        #expect(server.message(from: ByteBuffer(string: String(repeating: "x", count: 5000))).count == 512)
    }

    /// The sink and the source read `url`, `username`, `password` and `token` the same way.
    @Test func bothComponentsReadTheServerOptionsAlike() throws {
        let here = SourceLocation(file: "t.yaml", line: 1, column: 1)
        func reader(_ pairs: [(String, String)]) -> OptionsReader {
            OptionsReader(componentID: "c", location: here, pairs: pairs.map { (ConfigNode(.scalar($0.0), at: here), ConfigNode(.scalar($0.1), at: here)) })
        }
        let pairs = [("url", "http://h:1"), ("database", "d"), ("username", "u"), ("password", "")]
        var sinkOptions = reader(pairs)
        let sink = InfluxSinkConfiguration(options: &sinkOptions)
        var sourceOptions = reader(pairs)
        let source = InfluxQueryConfiguration(options: &sourceOptions)
        #expect(sink.server.url == source.server.url && sink.server.username == "u" && source.server.username == "u")
        #expect(sink.server.password == nil && source.server.password == nil)
        // An empty password counts as unset, so a user alone is the same mistake in both.
        #expect(sinkOptions.errors.map(\.message) == ["'c' needs both 'username' and 'password', or neither"])
        #expect(sourceOptions.errors.map(\.message) == sinkOptions.errors.map(\.message))
    }

    /// Retries that run out are an `InfluxWriteError` the caller can match, not a configuration error.
    @Test func exhaustedRetriesAreARetryableWriteError() async throws {
        let key = TestData.register([Point(measurement: "m", fields: [.init("f", .float(1))], timestamp: 1)])
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key) }
            sinks:
              influx:
                type: influx
                inputs: [src]
                url: "http://u:hunter2@127.0.0.1:1"
                database: d
                retry_max_attempts: 2
                retry_initial_backoff: 1ms
                request_timeout: 2s
            """)
        let failure = try #require(report.failures.first)
        let error = try #require(failure.cause as? InfluxWriteError, "\(failure)")
        #expect(error.reason == .retriesExhausted(attempts: 2) && error.isRetryable && error.status == nil)
        #expect(error.server == "http://127.0.0.1:1")
        #expect(failure.description.hasPrefix("sink 'influx': http://127.0.0.1:1 still failing after 2 attempts (last: "), "\(failure)")
        #expect(!failure.description.contains("hunter2") && !failure.description.contains("\n"))
    }

    @Test func writeErrorsSayWhatHappenedInOneLine() {
        let refused = InfluxWriteError(.credentialsRefused, server: "http://h:8086", status: 401, message: "unauthorized")
        #expect(refused.description == "http://h:8086 refused the credentials (HTTP 401)" && !refused.isRetryable)
        let missing = InfluxWriteError(.notFound(what: "database"), server: "http://h:8086", status: 404, message: #"database not found: "x""#)
        #expect(missing.description == #"http://h:8086 answered 404 (database not found): database not found: "x""#)
        let busy = InfluxWriteError(.retriesExhausted(attempts: 3), server: "http://h:8086", status: 503, message: "overloaded")
        #expect(busy.description == "http://h:8086 still failing after 3 attempts (last: HTTP 503: overloaded)" && busy.isRetryable)
    }
}

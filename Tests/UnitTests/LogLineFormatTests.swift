import Foundation
import Logging
import PipelineConfig
import StructuredLogs
import Testing

/// The three formats of `LogLine`: the fixed fields, escaping, nesting, and no secret printed.
@Suite struct LogLineFormatTests {
    /// 2026-12-02T15:37:45.123456789Z
    static let time: Int64 = 1_796_225_865_123_456_789

    func line(_ message: String, _ metadata: Logger.Metadata = [:], component: String = "influx") -> LogLine {
        LogLine(time: Self.time, level: .warning, componentID: component, message: message, metadata: metadata)
    }

    @Test func eachFormatWritesTheFixedFieldsThenTheMetadataByKey() {
        let line = line("InfluxDB at http://h:8086 is failing", ["status": "503", "attempt": .stringConvertible(3), "component_id": "ignored"])
        #expect(line.rendered(.text) == "2026-12-02T15:37:45.123Z warning influx: InfluxDB at http://h:8086 is failing attempt=3 status=503\n")
        #expect(line.rendered(.logfmt)
            == "time=2026-12-02T15:37:45.123Z level=warning component_id=influx message=\"InfluxDB at http://h:8086 is failing\" attempt=3 status=503\n")
        #expect(line.rendered(.json)
            == #"{"time":"2026-12-02T15:37:45.123Z","level":"warning","component_id":"influx","message":"InfluxDB at http://h:8086 is failing","attempt":"3","status":"503"}"# + "\n")
    }

    static let awkward = "say \"hi\"\\ back\nline two\tTab \u{01}\u{1F}\u{7F} Zürich ✓ 🙂 \u{2028}end"

    @Test func quotesNewlinesControlCharactersAndUnicodeAreEscapedInJSON() throws {
        let rendered = line(Self.awkward, ["key \"q\"": .string(Self.awkward)]).rendered(.json)
        #expect(rendered.filter { $0 == "\n" }.count == 1 && rendered.hasSuffix("\n"))
        #expect(rendered.contains(#""message":"say \"hi\"\\ back\nline two\tTab \u0001\u001f\u007f Zürich ✓ 🙂 \u2028end""#), "\(rendered)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: String])
        #expect(object["message"] == Self.awkward)
        #expect(object["key \"q\""] == Self.awkward)
        #expect(object["component_id"] == "influx" && object["level"] == "warning" && object["time"] == "2026-12-02T15:37:45.123Z")
    }

    @Test func logfmtQuotesOnlyWhatNeedsItAndKeepsKeysParseable() {
        let rendered = line("plain", ["empty": "", "spaced": "a b", "equals": "a=b", "quote": "say \"x\"", "path": "/var/lib/x.rrd", "a b=c\"d": "1"])
            .rendered(.logfmt)
        #expect(rendered == #"time=2026-12-02T15:37:45.123Z level=warning component_id=influx message=plain a_b_c_d=1 empty="" equals="a=b" path=/var/lib/x.rrd quote="say \"x\"" spaced="a b""# + "\n")
        let escaped = line(Self.awkward).rendered(.logfmt)
        #expect(escaped.contains(#"message="say \"hi\"\\ back\nline two\tTab \u0001\u001f\u007f Zürich ✓ 🙂 \u2028end""#), "\(escaped)")
    }

    @Test func textIsOneLineWhateverTheMessageHolds() {
        let rendered = line(Self.awkward).rendered(.text)
        #expect(rendered == "2026-12-02T15:37:45.123Z warning influx: say \"hi\"\\ back\\nline two\\tTab \\u0001\\u001f\\u007f Zürich ✓ 🙂 \\u2028end\n")
    }

    @Test func nestedMetadataStaysNestedInJSONAndIsOneQuotedValueInLogfmt() throws {
        let metadata: Logger.Metadata = ["request": ["path": "/targets", "ids": ["1", "2"]]]
        #expect(line("m", metadata).rendered(.logfmt).hasSuffix(#" request="{\"ids\":[\"1\",\"2\"],\"path\":\"/targets\"}""# + "\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line("m", metadata).rendered(.json).utf8)) as? [String: Any])
        let request = try #require(object["request"] as? [String: Any])
        #expect(request["path"] as? String == "/targets" && request["ids"] as? [String] == ["1", "2"])
    }

    @Test func noFormatPrintsASecretInMetadataInTheMessageOrUnderACredentialKey() {
        let secret = Secret("hunter2-\(UUID().uuidString)")
        let metadata: Logger.Metadata = [
            "url": .stringConvertible(secret), "password": .string(secret.value), "api_token": .string(secret.value),
            "Authorization": .string("Bearer \(secret.value)"), "nested": ["db_password": .string(secret.value), "list": [.stringConvertible(secret)]],
        ]
        for format in LogFormat.allCases {
            let rendered = line("connecting with \(secret), \(String(describing: secret)), \(String(reflecting: secret))", metadata).rendered(format)
            #expect(!rendered.contains(secret.value), "\(format): \(rendered)")
            #expect(rendered.contains("<redacted>"), "\(format): \(rendered)")
        }
    }

    @Test func timesAreRFC3339UTCWithMillisecondsAsFoundationWritesThem() {
        #expect(render(0) == "1970-01-01T00:00:00.000Z")
        #expect(render(-1_000_000) == "1969-12-31T23:59:59.999Z")
        #expect(render(1_709_251_199_999_999_999) == "2024-02-29T23:59:59.999Z")
        #expect(render(951_782_400_000_000_000) == "2000-02-29T00:00:00.000Z")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            // 1970 to 2200; a tenth of a millisecond more, so Foundation truncating or rounding
            // its double seconds writes the same millisecond.
            let milliseconds = Int64.random(in: 0...7_258_118_400_000, using: &generator)
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000 + 0.0001))
            #expect(render(milliseconds * 1_000_000 + 456_789) == expected, "\(milliseconds)")
        }
    }

    func render(_ nanoseconds: Int64) -> String {
        let rendered = LogLine(time: nanoseconds, level: .info, componentID: "c", message: "m", metadata: [:]).rendered(.logfmt)
        return String(rendered.dropFirst("time=".count).prefix { $0 != " " })
    }
}

@testable import Postgres
import Testing

/// Review H5: what every libpq connection gets before the connection string (which overrides
/// each), and how the session's statement_timeout becomes the client's query deadline.
@Suite struct PostgresTimeoutSettingsTests {
    @Test func keepalivesUserTimeoutAndStatementTimeoutByDefault() {
        let keywords = Dictionary(uniqueKeysWithValues: PostgresConnection.defaultKeywords(environment: [:]))
        #expect(keywords["connect_timeout"] == "5")
        #expect(keywords["keepalives"] == "1")
        #expect(keywords["keepalives_idle"] == "30")
        #expect(keywords["keepalives_interval"] == "10")
        #expect(keywords["keepalives_count"] == "3")
        #expect(keywords["tcp_user_timeout"] == "60000")
        #expect(keywords["options"] == "-c statement_timeout=30s")
    }

    @Test func libpqVariablesTheUserSetAreLeftToLibpq() {
        let keywords = Dictionary(
            uniqueKeysWithValues: PostgresConnection.defaultKeywords(environment: ["PGCONNECT_TIMEOUT": "9", "PGOPTIONS": "-c search_path=x"]))
        #expect(keywords["connect_timeout"] == nil)
        #expect(keywords["options"] == nil)
        #expect(keywords["keepalives"] == "1")
    }

    @Test(arguments: [
        ("0", Duration.zero), ("500ms", .milliseconds(500)), ("1500", .milliseconds(1500)), ("30s", .seconds(30)),
        ("2min", .seconds(120)), ("1h", .seconds(3600)), ("1d", .seconds(86400)),
    ])
    func statementTimeoutAsShowPrintsIt(text: String, expected: Duration) {
        #expect(PostgresConnection.parseSetting(milliseconds: text) == expected)
    }

    @Test func anUnknownUnitIsNoDeadline() {
        #expect(PostgresConnection.parseSetting(milliseconds: "5 fortnights") == nil)
        #expect(PostgresConnection.parseSetting(milliseconds: "") == nil)
    }
}

import Postgres
import Testing

/// One precedence for every user of the configuration store (`db`, `targets`, the probes'
/// `targets_from: postgres`, `postgres_join`, `checkpoints: postgres`).
@Suite struct ConnectionStringTests {
    static let environment = ["DATABASE_URL": "postgresql://env/db"]

    @Test func theOptionOrFlagWinsThenThePipelineThenDatabaseURL() {
        #expect(ConnectionString.resolve(explicit: "postgresql://flag/db", pipeline: "postgresql://file/db", environment: Self.environment) == "postgresql://flag/db")
        #expect(ConnectionString.resolve(explicit: nil, pipeline: "postgresql://file/db", environment: Self.environment) == "postgresql://file/db")
        #expect(ConnectionString.resolve(explicit: nil, pipeline: nil, environment: Self.environment) == "postgresql://env/db")
    }

    @Test func withNoneSetLibpqsOwnVariablesDecide() {
        #expect(ConnectionString.configured(explicit: nil, pipeline: nil, environment: [:]) == nil)
        // "" is libpq's "PG* variables, .pgpass and service files".
        #expect(ConnectionString.resolve(explicit: nil, pipeline: nil, environment: ["PGHOST": "elsewhere"]) == "")
    }

    /// The copies disagreed here: `--database-url ""` or `database_url: ${X:-}` meant "use PG*"
    /// in some, "no database" in another. Empty now counts as unset at every level.
    @Test func anEmptyValueFallsThroughToTheNext() {
        #expect(ConnectionString.resolve(explicit: "", pipeline: "postgresql://file/db", environment: Self.environment) == "postgresql://file/db")
        #expect(ConnectionString.resolve(explicit: "", pipeline: "", environment: Self.environment) == "postgresql://env/db")
        #expect(ConnectionString.configured(explicit: "", pipeline: "", environment: ["DATABASE_URL": ""]) == nil)
        #expect(ConnectionString.resolve(explicit: "", pipeline: nil, environment: ["DATABASE_URL": ""]) == "")
    }
}

import Foundation

/// Which PostgreSQL a command or component uses — written once for `db`, `targets`, the probes'
/// `targets_from: postgres`, `postgres_join` and `checkpoints: postgres`. The first non-empty of:
/// the component's option or the `--database-url` flag (`explicit`), the pipeline's
/// `database_url:`, the `DATABASE_URL` variable. An empty value counts as unset, so
/// `${DATABASE_URL:-}` in a file falls through to the next.
public enum ConnectionString {
    /// The configured connection string, nil when none of the three is set. `environment`
    /// defaults to the process's.
    public static func configured(explicit: String?, pipeline: String?, environment: [String: String]? = nil) -> String? {
        let variable = (environment ?? ProcessInfo.processInfo.environment)["DATABASE_URL"]
        return [explicit, pipeline, variable].lazy.compactMap { $0 }.first { !$0.isEmpty }
    }

    /// The configured connection string, else `""`: libpq then connects with its own `PG*`
    /// variables, `.pgpass` and service files.
    public static func resolve(explicit: String?, pipeline: String?, environment: [String: String]? = nil) -> String {
        configured(explicit: explicit, pipeline: pipeline, environment: environment) ?? ""
    }
}

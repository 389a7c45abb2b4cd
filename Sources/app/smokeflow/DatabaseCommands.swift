import ArgumentParser
import Foundation
import EventModel
import NIOPosix
import PipelineConfig
import Postgres
import SmokePingConfig
import TargetStore

/// Where the configuration store is: `--database-url`, else `DATABASE_URL`, else libpq's own
/// `PG*` variables, `.pgpass` and service files (`ConnectionString.resolve`).
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "postgresql:// URL or key=value string (default: $DATABASE_URL, then PG* variables).")
    var databaseURL: String?

    var connectionString: String {
        ConnectionString.resolve(explicit: databaseURL, pipeline: nil)
    }

    func connect() async throws -> PostgresConnection {
        warnAboutCommandLineDatabaseURL(databaseURL)
        return try await PostgresConnection.connect(connectionString)
    }
}

struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "The PostgreSQL configuration store's schema.", subcommands: [Migrate.self, Status.self]
    )

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations (idempotent).")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await withReportedErrors {
                let connection = try await database.connect()
                defer { Task { await connection.close() } }
                let applied = try await Migrator().migrate(connection)
                for migration in applied { print("applied \(migration.version): \(migration.name)") }
                print(applied.isEmpty ? "up to date at version \(Migrator().latestVersion)" : "now at version \(Migrator().latestVersion)")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List migrations and whether each is applied.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await withReportedErrors {
                let connection = try await database.connect()
                defer { Task { await connection.close() } }
                for status in try await Migrator().status(connection) {
                    print("\(status.version)\t\(status.appliedAt ?? "pending")\t\(status.name)")
                }
            }
        }
    }
}

struct Targets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move targets between YAML/CSV files and PostgreSQL.", subcommands: [Import.self, Export.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Insert or update targets from FILE.yaml, FILE.csv or a SmokePing config in one transaction; any bad row imports nothing."
        )
        @Argument(help: "A .yaml/.yml or .csv file, or SmokePing's config (e.g. /etc/smokeping/config, with its @includes).")
        var file: String
        @Option(
            name: .customLong("alert-rules"),
            help: "With a SmokePing config: write its *** Alerts *** rules to this YAML file, for an alert transform's rules_file."
        )
        var alertRules: String?
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await withReportedErrors {
                if await SmokePingStoreImport.isSmokePingConfig(path: file) { return try await importSmokePingConfig() }
                if alertRules != nil { throw ValidationError("--alert-rules reads a SmokePing config's Alerts section; \(file) is not a SmokePing config") }
                let (targets, problems) = try TargetFile.check(path: file)
                let connection = try await database.connect()
                defer { Task { await connection.close() } }
                let count = try await TargetImport().run(targets, earlier: problems, into: connection)
                print("imported \(targets.entries.count) targets from \(file) (\(count) inserted or updated)")
            }
        }

        func importSmokePingConfig() async throws {
            let checked = try await SmokePingStoreImport().check(file: file)
            let config = checked.config
            // The rules first: targets that name them are only written once the file holding them is.
            if let alertRules {
                let text = config.alertRulesFile(source: file)
                try await NIOThreadPool.singleton.runIfActive { try DurableFile.replace(alertRules, with: Array(text.utf8)) }
                print("wrote \(config.alertRules.count) alert rules to \(alertRules)")
            } else if !config.alertRules.isEmpty {
                FileHandle.standardError.write(Data("smokeflow: note: the Alerts section's \(config.alertRules.count) rules are not written; give --alert-rules FILE to keep them\n".utf8))
            }
            let connection = try await database.connect()
            defer { Task { await connection.close() } }
            let summary = try await SmokePingStoreImport().write(checked, into: connection)
            for note in summary.notes { FileHandle.standardError.write(Data("\(note.location): note: \(note.message)\n".utf8)) }
            print("imported from SmokePing config \(file): \(summary.categories) categories, \(summary.probes) probes, \(summary.targets) targets (inserted or updated)")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write every target as YAML or CSV to standard output.")
        @Option(help: "yaml or csv.") var format: String = "yaml"
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await withReportedErrors {
                guard let format = TargetFile.Format(rawValue: format) else {
                    throw ValidationError("--format must be yaml or csv")
                }
                let connection = try await database.connect()
                defer { Task { await connection.close() } }
                let records = try await MetadataStore(connection: connection).targets()
                FileHandle.standardOutput.write(Data(TargetExport.render(records, as: format).utf8))
            }
        }
    }
}

/// One line per problem on standard error and exit 1, for errors that are not usage errors.
func withReportedErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ValidationError {
        throw error
    } catch {
        report(error)
        throw ExitCode(1)
    }
}

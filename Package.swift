// swift-tools-version:6.0
import PackageDescription

// The layers (docs/architecture.md), bottom up; a target may depend only on its own layer or
// the layers below it, and Tests/UnitTests/ArchitectureTests.swift checks that:
//   core, formats, native → engines → components → app (and testing, beside app).
// Nothing in engines/ or formats/ imports the runtime, the components or the app.

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let nio = "swift-nio"
let NIOCore = Target.Dependency.product(name: "NIOCore", package: nio)
let NIOPosix = Target.Dependency.product(name: "NIOPosix", package: nio)
let NIOHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: nio)
let Logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let ServiceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let UnixSignals = Target.Dependency.product(name: "UnixSignals", package: "swift-service-lifecycle")
let AsyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let ArgumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let Yams = Target.Dependency.product(name: "Yams", package: "Yams")
let Hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let HTTPTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
let Mustache = Target.Dependency.product(name: "Mustache", package: "swift-mustache")
let CoreMetrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")
let Prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")

/// A Swift library target in `Sources/<layer>/<name>`.
func library(_ name: String, _ layer: String, _ dependencies: [Target.Dependency]) -> Target {
    .target(name: name, dependencies: dependencies, path: "Sources/\(layer)/\(name)", swiftSettings: strictSettings)
}

/// Each component folder's README.md and example.yaml are documentation, not sources.
let componentDocuments = [
    ("sources", ["fixture", "rrd", "influx_query", "probe", "nats"]),
    ("transforms", ["add_tags", "classify", "downsample", "postgres_join", "alert"]),
    ("sinks", ["file", "stdout", "fixture", "influx", "rrd", "nats"]),
].flatMap { kind, types in types.flatMap { ["\(kind)/\($0)/README.md", "\(kind)/\($0)/example.yaml"] } }

/// A C library found with pkg-config, in `Sources/native/<name>`.
func systemLibrary(_ name: String, _ pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, path: "Sources/native/\(name)", pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "smokeflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "smokeflow", targets: ["smokeflow"]),
        .library(name: "SmokeflowApp", targets: ["SmokeflowApp"]),
        .library(name: "SmokeflowTesting", targets: ["SmokeflowTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // native: C libraries and their thin Swift wrappers.
        systemLibrary("CZstd", "libzstd", apt: "libzstd-dev"),
        systemLibrary("CZlib", "zlib", apt: "zlib1g-dev"),
        systemLibrary("CRRD", "librrd", apt: "librrd-dev"),
        systemLibrary("CLibPQ", "libpq", apt: "libpq-dev"),
        systemLibrary("CCrypt", "libcrypt", apt: "libcrypt-dev"),
        // OpenSSL's libcrypto, for PBKDF2 (werkzeug's `pbkdf2:sha256` hashes, smoking-pi's format).
        systemLibrary("CLibCrypto", "libcrypto", apt: "libssl-dev"),
        // libnats, the NATS C client: JetStream publish, streams, durable pull consumers.
        systemLibrary("CNats", "libnats", apt: "libnats-dev"),
        // librrd's reading calls guarded against SIGBUS (a file truncated while mapped).
        .target(name: "CRRDGuard", dependencies: ["CRRD"], path: "Sources/native/CRRDGuard"),
        // The kernel clock's NTP status (adjtimex, read only), for `smokeflow doctor`.
        .target(name: "CSystemClock", path: "Sources/native/CSystemClock"),
        // librrd's thread-safe calls on NIO's blocking thread pool.
        library("LibRRD", "native", ["CRRD", "CRRDGuard", NIOPosix]),
        // libpq: parameterized queries, transactions, LISTEN/NOTIFY, a thread per connection.
        library("Postgres", "native", ["CLibPQ", NIOCore, NIOPosix]),
        // libxcrypt's crypt(3): bcrypt password hashes for the web admin's login.
        library("PasswordHash", "native", ["CCrypt", "CLibCrypto"]),
        // JetStream through libnats, every blocking call on a thread of its own.
        library("Nats", "native", ["CNats", NIOPosix]),

        // core: the event model and its schema, pipeline files, the runtime.
        library("EventModel", "core", []),
        library("PipelineConfig", "core", [Yams]),
        // Metrics (swift-metrics handles on a Prometheus registry per run) and readiness checks.
        library("Telemetry", "core", [CoreMetrics, Prometheus]),
        // swift-log handlers: text, logfmt and JSON lines, each with its component id; repeats rate-limited.
        library("StructuredLogs", "core", ["EventModel", Logging]),
        library("PipelineRuntime", "core", [
            "EventModel", "PipelineConfig", "Telemetry", "StructuredLogs", CoreMetrics, Logging, NIOPosix, ServiceLifecycle, UnixSignals,
        ]),

        // formats: InfluxDB line protocol, streaming zstd.
        library("LineProtocol", "formats", ["EventModel", NIOCore]),
        library("Zstd", "formats", ["CZstd"]),

        // engines: pure logic, never the runtime.
        library("Downsampling", "engines", ["EventModel"]),
        // SmokePing's alert patterns and per-target alert state, matched as Smokeping.pm does.
        library("Alerting", "engines", ["EventModel"]),
        library("ProbeEngine", "engines", ["EventModel", Logging, NIOPosix]),
        library("SmokePingFiles", "engines", ["EventModel", "PipelineConfig", "LibRRD"]),
        library("TargetStore", "engines", ["EventModel", "PipelineConfig", "Postgres", Logging, NIOPosix]),
        // SmokePing's own configuration: Targets/Probes generated from the store, parsed back, reloads.
        library("SmokePingConfig", "engines", ["EventModel", "PipelineConfig", "TargetStore", "Alerting", "Postgres", NIOPosix]),
        // SmokePing's smoke graph as SVG, from RRD archives or from rounds read elsewhere.
        library("SmokeGraph", "engines", ["EventModel", "LibRRD", NIOPosix]),
        // A sink's disk buffer: checksummed, compressed records in segment files.
        library("DiskBuffer", "engines", ["EventModel", "LineProtocol", "Zstd", NIOCore]),

        // components: one folder per component type, the registry of them all.
        .target(
            name: "Components",
            dependencies: [
                "EventModel", "PipelineConfig", "PipelineRuntime", "LineProtocol", "Zstd", "CZlib",
                "LibRRD", "Postgres", "Downsampling", "ProbeEngine", "SmokePingFiles", "TargetStore", "DiskBuffer",
                "SmokePingConfig", "Telemetry", "Alerting", "Nats", CoreMetrics, AsyncHTTPClient, NIOCore, NIOPosix, NIOHTTP1, Logging, ServiceLifecycle,
            ],
            path: "Sources/components",
            exclude: ["README.md", "buffers/README.md"] + componentDocuments,
            swiftSettings: strictSettings
        ),

        // app: what the commands do, as a library; the executable is a thin shell over it.
        library("JobScheduler", "app", ["EventModel", "PipelineRuntime", "PipelineConfig", "Telemetry", CoreMetrics, Logging, ServiceLifecycle]),
        library("PipelineTesting", "app", ["EventModel", "PipelineRuntime", "PipelineConfig", "LineProtocol", Logging]),
        library("SmokeflowApp", "app", [
            "EventModel", "PipelineConfig", "PipelineRuntime", "Components", "JobScheduler", "PipelineTesting", "ConfigManager", "WebAdmin",
            "TargetStore", "SmokePingConfig", "Postgres", "PasswordHash", "Telemetry", "MetricsEndpoint", "ProbeEngine", "CSystemClock", Logging,
            ServiceLifecycle, AsyncHTTPClient, NIOPosix,
        ]),
        // `/metrics`, `/health` and `/ready` on an address of their own.
        library("MetricsEndpoint", "app", ["Telemetry", "PipelineConfig", Hummingbird, Logging, ServiceLifecycle, NIOCore]),
        // `smokeflow serve`: the REST API over the target store, SmokePing's files out.
        library("ConfigManager", "app", [
            "EventModel", "PipelineConfig", "PipelineRuntime", "TargetStore", "SmokePingConfig", "Postgres", "Telemetry", "MetricsEndpoint", Hummingbird, HTTPTypes, Logging,
            ServiceLifecycle, NIOCore, NIOPosix,
        ]),
        // The web admin of `smokeflow serve`: pages over the store, login, smoke graphs.
        .target(
            name: "WebAdmin",
            dependencies: [
                "EventModel", "ConfigManager", "TargetStore", "SmokeGraph", "PasswordHash", "CZlib", "Telemetry", "MetricsEndpoint", Hummingbird, HTTPTypes, Mustache,
                AsyncHTTPClient, Logging, ServiceLifecycle, NIOCore, NIOPosix,
            ],
            path: "Sources/app/WebAdmin",
            exclude: ["assets", "templates", "README.md"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "smokeflow",
            dependencies: [
                "SmokeflowApp", "ConfigManager", "PipelineConfig", "PipelineRuntime", "Postgres", "TargetStore", "SmokePingConfig", "StructuredLogs", "EventModel",
                ArgumentParser, Logging, ServiceLifecycle, NIOPosix,
            ],
            path: "Sources/app/smokeflow",
            swiftSettings: strictSettings
        ),

        // testing: in-process pipeline helpers and the sink-compliance check, for tests and benchmarks.
        library("SmokeflowTesting", "testing", [
            "EventModel", "PipelineConfig", "PipelineRuntime", "Components", "LineProtocol", "Zstd", "LibRRD", "SmokePingFiles", Logging,
        ]),

        // Benchmarks run by scripts/bench (release build), never by the tests.
        .executableTarget(
            name: "smokeflow-bench",
            dependencies: [
                "EventModel", "LineProtocol", "LibRRD", "SmokePingFiles", "Components", "TargetStore",
                "PipelineRuntime", "PipelineConfig", "Postgres", "Downsampling", "SmokeGraph", "Alerting", NIOCore, Logging,
            ],
            path: "Benchmarks/smokeflow-bench",
            swiftSettings: strictSettings
        ),

        // No server, no root: `swift test --filter UnitTests` is the fast loop.
        .testTarget(
            name: "UnitTests",
            dependencies: [
                "EventModel", "LineProtocol", "Zstd", "PipelineConfig", "PipelineRuntime", "Components",
                "LibRRD", "SmokePingFiles", "Postgres", "TargetStore", "SmokePingConfig", "Downsampling", "DiskBuffer", "PasswordHash", "PipelineTesting",
                "JobScheduler", "ProbeEngine", "SmokeflowApp", "SmokeflowTesting", "ConfigManager", "WebAdmin", "SmokeGraph", "StructuredLogs", "Alerting",
                "Telemetry", "MetricsEndpoint", NIOCore, NIOPosix, Logging, ServiceLifecycle,
            ],
            swiftSettings: strictSettings
        ),
        // Real InfluxDB, victoria-metrics, PostgreSQL and the probe lab, started by scripts/test.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "EventModel", "LineProtocol", "Zstd", "PipelineConfig", "PipelineRuntime", "Components",
                "LibRRD", "SmokePingFiles", "Postgres", "TargetStore", "SmokePingConfig", "Downsampling", "DiskBuffer", "PasswordHash", "PipelineTesting",
                "JobScheduler", "ProbeEngine", "SmokeflowApp", "SmokeflowTesting", "ConfigManager", "WebAdmin", "SmokeGraph", "Alerting",
                "Telemetry", "MetricsEndpoint", NIOCore, NIOHTTP1, NIOPosix, AsyncHTTPClient, Logging, ServiceLifecycle,
            ],
            swiftSettings: strictSettings
        ),
    ]
)

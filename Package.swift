// swift-tools-version:6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "smokeflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "smokeflow", targets: ["smokeflow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // C libraries, found with pkg-config.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CRRD", pkgConfig: "librrd", providers: [.apt(["librrd-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // The event model: points, typed fields, batches and delivery acknowledgements.
        .target(name: "SmokeflowModel", swiftSettings: strictSettings),
        // InfluxDB line protocol: encoder and parser over ByteBuffer.
        .target(
            name: "LineProtocol",
            dependencies: ["SmokeflowModel", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // librrd: read and write SmokePing's RRD files, off the cooperative pool.
        .target(
            name: "RRD",
            dependencies: ["CRRD", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // SmokePing's RRD trees as a source (backfill, tail) and a sink.
        .target(
            name: "SmokePingRRD",
            dependencies: [
                "RRD", "SmokeflowModel", "SmokeflowRuntime", "PipelineConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // libpq: parameterized queries, transactions, LISTEN/NOTIFY, on a thread per connection.
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // The configuration store: schema migrations, targets import/export, checkpoints in PostgreSQL.
        .target(
            name: "SmokeflowMetadata",
            dependencies: [
                "Postgres", "PipelineConfig", "SmokeflowRuntime",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Event-time tumbling windows per series: latency rollups and RRD-style consolidation.
        .target(name: "Downsampling", dependencies: ["SmokeflowModel"], swiftSettings: strictSettings),
        // Streaming zstd compression and decompression.
        .target(name: "Zstd", dependencies: ["CZstd"], swiftSettings: strictSettings),
        // Pipeline files: YAML with source positions, ${VAR} interpolation, option decoding.
        .target(
            name: "PipelineConfig",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Topology and runtime: bounded channels, stage services, component registry.
        .target(
            name: "SmokeflowRuntime",
            dependencies: [
                "SmokeflowModel", "PipelineConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The InfluxDB HTTP writer (v1 and v2 write APIs).
        .target(
            name: "InfluxSink",
            dependencies: [
                "SmokeflowModel", "SmokeflowRuntime", "PipelineConfig", "LineProtocol", "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The `influx_query` source: InfluxQL over /query, chunked, for a time range.
        .target(
            name: "InfluxQuery",
            dependencies: [
                "SmokeflowModel", "SmokeflowRuntime", "PipelineConfig",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Scheduled jobs: cron schedules (UTC or a time zone), window runs, catch-up from progress.
        .target(
            name: "JobScheduler",
            dependencies: [
                "SmokeflowRuntime", "PipelineConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Native probes: ICMP/ICMPv6 echo and DNS rounds on one event-loop thread, and the `probe` source.
        .target(
            name: "Probes",
            dependencies: [
                "SmokeflowModel", "SmokeflowRuntime", "PipelineConfig", "Postgres", "SmokeflowMetadata",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Built-in sources and sinks that need no server: fixture, file, stdout.
        .target(
            name: "SmokeflowComponents",
            dependencies: [
                "SmokeflowModel", "SmokeflowRuntime", "PipelineConfig", "LineProtocol", "Zstd", "InfluxSink", "SmokePingRRD",
                "Postgres", "SmokeflowMetadata", "Downsampling", "InfluxQuery", "Probes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // A pipeline file's `tests:`: points fed into one transform, its output checked.
        .target(
            name: "PipelineTesting",
            dependencies: [
                "SmokeflowModel", "SmokeflowRuntime", "PipelineConfig", "LineProtocol",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "smokeflow",
            dependencies: [
                "SmokeflowModel", "SmokeflowRuntime", "PipelineConfig", "SmokeflowComponents", "LineProtocol", "Zstd",
                "Postgres", "SmokeflowMetadata", "PipelineTesting", "JobScheduler",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Benchmarks run by scripts/bench (release build), never by the tests.
        .executableTarget(
            name: "smokeflow-bench",
            dependencies: [
                "SmokeflowModel", "LineProtocol", "RRD", "SmokePingRRD", "SmokeflowComponents", "SmokeflowMetadata",
                "SmokeflowRuntime", "PipelineConfig", "Postgres", "Downsampling",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/smokeflow-bench",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SmokeflowTests",
            dependencies: [
                "SmokeflowModel", "LineProtocol", "Zstd", "PipelineConfig", "SmokeflowRuntime",
                "SmokeflowComponents", "InfluxSink", "RRD", "SmokePingRRD", "Postgres", "SmokeflowMetadata",
                "Downsampling", "PipelineTesting", "JobScheduler", "InfluxQuery", "Probes",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)

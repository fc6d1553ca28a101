// swift-tools-version:6.2
import PackageDescription

/// Settings shared by every target of ours (not by dependencies): Swift 6 mode, the upcoming
/// features that make imports and existentials explicit, and warnings as errors.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Our library and executable targets also treat warnings as errors; tests do not (Swift Testing's
/// macro expansions may warn on newer compilers, and a test run must not fail on that).
let strictSwiftSettings = swiftSettings + [.unsafeFlags(["-warnings-as-errors"])]

let package = Package(
    name: "xinfang",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "xinfang", targets: ["xinfang"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.9.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    ],
    targets: [
        .target(
            name: "XinfangCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwiftSettings
        ),
        .target(
            name: "CSQLiteSetup",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        .target(
            name: "XinfangStore",
            dependencies: [
                "XinfangCore", "CSQLiteSetup", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSwiftSettings
        ),
        .target(
            name: "XinfangPostgres",
            dependencies: [
                "XinfangCore", "XinfangStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwiftSettings
        ),
        .target(
            name: "XinfangService",
            dependencies: ["XinfangCore", "XinfangStore"],
            swiftSettings: strictSwiftSettings
        ),
        .target(
            name: "XinfangSync",
            dependencies: [
                "XinfangCore", "XinfangStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strictSwiftSettings
        ),
        .target(
            name: "XinfangHTTP",
            dependencies: [
                "XinfangCore", "XinfangStore", "XinfangService", "XinfangSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwiftSettings
        ),
        .target(
            name: "XinfangSimulation",
            dependencies: [
                "XinfangCore", "XinfangStore", "XinfangService", "XinfangSync",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwiftSettings
        ),
        .executableTarget(
            name: "xinfang",
            dependencies: [
                "XinfangCore", "XinfangStore", "XinfangService", "XinfangSync", "XinfangHTTP", "XinfangSimulation", "XinfangPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSwiftSettings
        ),
        .target(
            name: "XinfangTesting",
            dependencies: [
                "XinfangCore", "XinfangStore", "XinfangHTTP", "XinfangSync", "XinfangSimulation", "XinfangPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwiftSettings
        ),
        .testTarget(
            name: "XinfangCoreTests",
            dependencies: ["XinfangCore", "XinfangTesting"],
            exclude: ["Fixtures"],  // read from the source tree by the tests that use them
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XinfangStoreTests",
            dependencies: ["XinfangCore", "XinfangStore", "XinfangTesting", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures"],  // read from the source tree by the tests that use them
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XinfangHTTPTests",
            dependencies: [
                "XinfangCore", "XinfangStore", "XinfangService", "XinfangHTTP", "XinfangSync", "XinfangTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XinfangSyncTests",
            dependencies: [
                "XinfangCore", "XinfangStore", "XinfangService", "XinfangSync", "XinfangHTTP", "XinfangTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XinfangSimulationTests",
            dependencies: [
                "XinfangCore", "XinfangStore", "XinfangSync", "XinfangSimulation", "XinfangHTTP", "XinfangTesting",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XinfangPostgresTests",
            dependencies: [
                "XinfangStore", "XinfangPostgres", "XinfangSync", "XinfangSimulation", "XinfangTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "XinfangCLITests",
            dependencies: [
                "xinfang", "XinfangCore", "XinfangStore", "XinfangHTTP", "XinfangTesting", "XinfangPostgres",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

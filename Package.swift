// swift-tools-version:6.1
import PackageDescription

/// Wirebank: fintech back-office services speaking gRPC over HTTP/2, on protobuf-c, nghttp2 and libpq.
///
/// Layers, bottom up: C shims → Protobuf runtime → RPC core → Contracts (generated) → …
/// Each target depends only on targets of the layers below it.
let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
  name: "Wirebank",
  products: [
    .library(name: "WirebankProtobuf", targets: ["WirebankProtobuf"]),
    .library(name: "WirebankContracts", targets: ["WirebankContracts"]),
    .library(name: "WirebankPostgres", targets: ["WirebankPostgres"]),
    .library(name: "WirebankJobs", targets: ["WirebankJobs"]),
    .executable(name: "protoc-gen-wirebank", targets: ["protoc-gen-wirebank"]),
    .executable(name: "wirebank", targets: ["wirebank"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
  ],
  targets: [
    // MARK: C shims (system libraries, installed from Debian by `make deps`)
    .systemLibrary(
      name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
    .systemLibrary(
      name: "CNghttp2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
    .systemLibrary(name: "CLibpq", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // MARK: Protobuf runtime
    .target(name: "WirebankProtobuf", dependencies: ["CProtobufC"], swiftSettings: swiftSettings),

    // MARK: RPC core (no transport): descriptors, status, the API generated stubs are written against
    .target(name: "WirebankRPC", dependencies: ["WirebankProtobuf"], swiftSettings: swiftSettings),

    // MARK: HTTP/2 transport: nghttp2 sessions driven by SwiftNIO channels, gRPC server and client
    .target(
      name: "WirebankHTTP2",
      dependencies: [
        "CNghttp2", "CZlib", "WirebankRPC", "WirebankProtobuf",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),

    // MARK: PostgreSQL through libpq (answers read by one epoll thread, connecting on NIO's thread pool), durable jobs
    .target(
      name: "WirebankPostgres",
      dependencies: [
        "CLibpq", .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),
    .target(
      name: "WirebankJobs",
      dependencies: ["WirebankPostgres", .product(name: "Logging", package: "swift-log")],
      swiftSettings: swiftSettings),

    // MARK: Contracts, generated from Protos/ by `make contracts` (never edited by hand)
    .target(name: "CWirebankContracts", dependencies: ["CProtobufC"]),
    .target(
      name: "WirebankContracts",
      dependencies: ["CWirebankContracts", "WirebankProtobuf", "WirebankRPC"],
      swiftSettings: swiftSettings),

    // MARK: Services: grpc.testing interop and grpc.health.v1
    .target(
      name: "WirebankInterop",
      dependencies: ["WirebankContracts", "WirebankRPC", "WirebankHTTP2"],
      swiftSettings: swiftSettings),

    // MARK: Service host: what every domain service shares (error details, paging)
    .target(
      name: "WirebankServiceSupport",
      dependencies: ["WirebankContracts", "WirebankRPC", "WirebankProtobuf", "WirebankPostgres"],
      swiftSettings: swiftSettings),

    // MARK: Lending: Origination, Scoring and the Product Engine, each with its own database
    .target(
      name: "LendingProductEngine",
      dependencies: [
        "WirebankContracts", "WirebankRPC", "WirebankPostgres", "WirebankJobs",
        "WirebankServiceSupport", .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),
    .target(
      name: "LendingOrigination",
      dependencies: [
        "WirebankContracts", "WirebankRPC", "WirebankPostgres", "WirebankJobs",
        "WirebankServiceSupport", .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),
    .target(
      name: "LendingScoring",
      dependencies: [
        "WirebankContracts", "WirebankProtobuf", "WirebankRPC", "WirebankPostgres", "WirebankJobs",
        "WirebankServiceSupport", .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),

    // MARK: Hosting: the Lending services on HTTP/2 and PostgreSQL (serve, up, demo)
    .target(
      name: "WirebankHost",
      dependencies: [
        "LendingOrigination", "LendingScoring", "LendingProductEngine", "WirebankInterop",
        "WirebankHTTP2", "WirebankRPC", "WirebankContracts", "WirebankPostgres", "WirebankJobs",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),

    // MARK: CLI: `wirebank` runs any service, all of them, the demo and the clients
    .executableTarget(
      name: "wirebank",
      dependencies: [
        "WirebankHost", "WirebankInterop", "WirebankHTTP2", "WirebankRPC", "WirebankContracts",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),

    // MARK: Tools: the protoc plugin that generates the contracts
    .target(name: "WirebankCodeGen", path: "Tools/WirebankCodeGen", swiftSettings: swiftSettings),
    .target(
      name: "CPluginProtos", dependencies: ["CProtobufC"], path: "Tools/PluginProtos/C"),
    .target(
      name: "PluginProtos", dependencies: ["CPluginProtos", "WirebankProtobuf"],
      path: "Tools/PluginProtos/Swift", swiftSettings: swiftSettings),
    .executableTarget(
      name: "protoc-gen-wirebank",
      dependencies: ["WirebankCodeGen", "PluginProtos", "WirebankProtobuf"],
      path: "Tools/protoc-gen-wirebank", swiftSettings: swiftSettings),

    // MARK: Tests
    // The generator's golden output for Tests/Fixtures/Protos, compiled so it is proven to build.
    .target(name: "CFixtureContracts", dependencies: ["CProtobufC"], path: "Tests/Fixtures/C"),
    .target(
      name: "FixtureContracts", dependencies: ["CFixtureContracts", "WirebankProtobuf", "WirebankRPC"],
      path: "Tests/Fixtures/Swift", swiftSettings: swiftSettings),
    .target(
      name: "WireCompatSupport",
      dependencies: ["WirebankContracts", "WirebankProtobuf"],
      path: "Tests/WireCompatSupport", swiftSettings: swiftSettings),
    .executableTarget(
      name: "wirecompat-peer", dependencies: ["WireCompatSupport"],
      path: "Tests/wirecompat-peer", swiftSettings: swiftSettings),
    .testTarget(
      name: "WirebankProtobufTests",
      dependencies: ["WirebankProtobuf", "WirebankContracts", "PluginProtos", "FixtureContracts"],
      swiftSettings: swiftSettings),
    // Bounded waits, timeouts and signals every suite shares.
    .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
    .testTarget(
      name: "WirebankRPCTests",
      dependencies: ["WirebankRPC", "WirebankContracts", "WirebankProtobuf", "TestSupport"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "WirebankHTTP2Tests",
      dependencies: [
        "WirebankHTTP2", "WirebankInterop", "WirebankContracts", "WirebankRPC", "TestSupport",
      ],
      swiftSettings: swiftSettings),
    // A job worker process the jobs tests kill with SIGKILL mid-job.
    .executableTarget(
      name: "wirebank-job-worker",
      dependencies: ["WirebankJobs", "WirebankPostgres", .product(name: "Logging", package: "swift-log")],
      path: "Tests/wirebank-job-worker", swiftSettings: swiftSettings),
    // The embedded cluster in a temporary folder and the helpers the PostgreSQL suites share
    // (the Postgres, jobs and lending tests).
    .target(
      name: "PostgresTestSupport",
      dependencies: [
        "WirebankPostgres", "TestSupport", .product(name: "Logging", package: "swift-log"),
      ],
      path: "Tests/PostgresTestSupport", swiftSettings: swiftSettings),
    .testTarget(
      name: "WirebankPostgresTests",
      dependencies: [
        "WirebankPostgres", "PostgresTestSupport", .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "WirebankJobsTests",
      dependencies: [
        "WirebankJobs", "WirebankPostgres", "PostgresTestSupport", "wirebank-job-worker",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "LendingTests",
      dependencies: [
        "LendingProductEngine", "LendingOrigination", "LendingScoring", "WirebankContracts",
        "WirebankRPC", "WirebankPostgres", "WirebankJobs", "WirebankProtobuf",
        "WirebankServiceSupport", "PostgresTestSupport",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "WirebankCodeGenTests",
      dependencies: ["WirebankCodeGen", "PluginProtos", "WirebankProtobuf"],
      swiftSettings: swiftSettings),
  ]
)

// swift-tools-version:6.1
import Foundation
import PackageDescription

/// Benchmarks, a package of its own so that swift-protobuf never enters the main build:
/// - CodecBenchmarks: Wirebank's protobuf-c codecs against swift-protobuf 1.39.0 on the same
///   `.proto` files;
/// - JobsBenchmarks: durable jobs on an embedded PostgreSQL with fsync on (jobs/s, latency);
/// - GRPCSwiftPeerServer: grpc.testing.TestService on grpc-swift-2 2.4.3, the peer of Wirebank's
///   server in `grpc-server-bench.sh`.
///
/// Run: `cd Benchmarks && swift run -c release CodecBenchmarks` (or `JobsBenchmarks`; see
/// README.md).

/// SwiftPM names a path dependency after its folder: `main` here, `wirebank` in another checkout.
let wirebank = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
  name: "WirebankBenchmarks",
  dependencies: [
    .package(path: ".."),
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
    // JobsBenchmarks: the Logger the jobs layer takes.
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    // GRPCSwiftPeerServer: the grpc-swift-2 peer of the gRPC server benchmark.
    .package(url: "https://github.com/grpc/grpc-swift-2", exact: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport", exact: "2.9.2"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
  ],
  targets: [
    .executableTarget(
      name: "CodecBenchmarks",
      dependencies: [
        .product(name: "WirebankContracts", package: wirebank),
        .product(name: "WirebankProtobuf", package: wirebank),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: [.swiftLanguageMode(.v6)]),
    .executableTarget(
      name: "JobsBenchmarks",
      dependencies: [
        .product(name: "WirebankJobs", package: wirebank),
        .product(name: "WirebankPostgres", package: wirebank),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: [.swiftLanguageMode(.v6)]),
    // gRPC server benchmark peer: grpc.testing.TestService on grpc-swift-2 (grpc-server-bench.sh).
    .executableTarget(
      name: "GRPCSwiftPeerServer",
      dependencies: [
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: [.swiftLanguageMode(.v6)]),
  ]
)

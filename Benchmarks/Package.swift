// swift-tools-version:6.1
import Foundation
import PackageDescription

/// Codec benchmarks: Wirebank's protobuf-c codecs against swift-protobuf 1.39.0 on the same
/// `.proto` files. A package of its own so that swift-protobuf never enters the main build.
///
/// Run: `cd Benchmarks && swift run -c release CodecBenchmarks` (see README.md).

/// SwiftPM names a path dependency after its folder: `main` here, `wirebank` in another checkout.
let wirebank = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
  name: "WirebankBenchmarks",
  dependencies: [
    .package(path: ".."),
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
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
  ]
)

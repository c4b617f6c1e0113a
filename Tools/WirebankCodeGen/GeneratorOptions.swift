/// The plugin's parameters (`--wirebank_opt=key=value,…`), saying where each kind of output goes.
public struct GeneratorOptions: Sendable, Equatable {
  /// Written into every generated file and checked against the runtime's version at compile time.
  public static let version = "0.1.0"

  /// The C module the Swift code imports (`CWirebankContracts`).
  public var cModule = "CWirebankContracts"
  /// Where headers go; the umbrella header `<cModule>.h` is written there too.
  public var cHeaderDirectory = "include"
  /// Where C sources go.
  public var cSourceDirectory = "c"
  /// Where Swift sources go.
  public var swiftDirectory = "swift"
  /// Extra Swift modules the generated Swift imports (for services: `WirebankRPC`).
  public var swiftImports: [String] = []
  /// Whether to emit service descriptors, server protocols and clients.
  public var emitServices = true

  public init() {}

  /// Parses `key=value` pairs separated by commas.
  /// - Throws: `GeneratorError` naming an unknown key.
  public init(parameter: String) throws {
    for pair in parameter.split(separator: ",") where !pair.isEmpty {
      let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
      let value = parts.count > 1 ? parts[1] : ""
      switch parts[0] {
      case "c_module": cModule = value
      case "c_header_dir": cHeaderDirectory = value
      case "c_source_dir": cSourceDirectory = value
      case "swift_dir": swiftDirectory = value
      case "swift_import": swiftImports.append(value)
      case "services": emitServices = value != "false"
      default: throw GeneratorError("unknown option '\(parts[0])'")
      }
    }
  }
}

/// A fault in the generator's input, reported to protoc as the response's error.
public struct GeneratorError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

extension Naming {
  /// `grpc/health/v1/health.proto` → `grpc/health/v1/health.pb-c.h`.
  static func headerPath(_ protoPath: String) -> String {
    stem(protoPath) + ".pb-c.h"
  }

  /// `grpc/health/v1/health.proto` → `grpc_health_v1_health` (flat, so file names never clash).
  static func flatStem(_ protoPath: String) -> String {
    stem(protoPath).replacing("/", with: "_")
  }

  static func stem(_ protoPath: String) -> String {
    protoPath.hasSuffix(".proto") ? String(protoPath.dropLast(6)) : protoPath
  }
}

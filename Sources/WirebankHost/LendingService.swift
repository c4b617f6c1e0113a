import WirebankContracts

/// One of the three Lending services, as the command line names it.
public enum LendingService: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
  case origination
  case scoring
  case productEngine = "product-engine"

  /// The name on the command line and in logs: `origination`, `scoring`, `product-engine`.
  public var description: String { rawValue }

  /// The service's own database, on the embedded cluster or in a URL template's `{service}`.
  public var databaseName: String { "lending_" + databaseSuffix }

  /// The full gRPC name of the service, as reported by `grpc.health.v1.Health`.
  public var grpcServiceName: String {
    switch self {
    case .origination: Origination.descriptor.fullName
    case .scoring: Scoring.descriptor.fullName
    case .productEngine: ProductEngine.descriptor.fullName
    }
  }

  /// The services this one calls (from its durable jobs).
  public var peers: [LendingService] {
    switch self {
    case .origination: [.scoring, .productEngine]
    case .scoring: [.productEngine, .origination]
    case .productEngine: []
    }
  }

  /// The port offset from a base port in `wirebank up` (50051, 50052, 50053 by default).
  public var portOffset: Int {
    switch self {
    case .origination: 0
    case .scoring: 1
    case .productEngine: 2
    }
  }

  /// The ports `wirebank up` uses by default start here.
  public static let defaultBasePort = 50051
}

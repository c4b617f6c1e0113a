import LendingOrigination
import LendingProductEngine
import LendingScoring
import Logging
import WirebankPostgres
import WirebankRPC

/// What hosting needs of a Lending runtime: its RPC service and its job worker.
protocol LendingRuntime: Sendable {
  /// The service to register with the server.
  var registrable: any RegistrableService { get }
  /// Whether the worker listens for jobs.
  var isReady: Bool { get }
  /// Runs the worker until the task is cancelled.
  func run() async
}

extension OriginationRuntime: LendingRuntime {
  var registrable: any RegistrableService { service }
}

extension ScoringRuntime: LendingRuntime {
  var registrable: any RegistrableService { service }
}

extension ProductEngineRuntime: LendingRuntime {
  var registrable: any RegistrableService { service }
}

extension LendingService {
  /// Migrates `pool`'s database and builds the runtime, with `peers` as its callees.
  func startRuntime(
    pool: PostgresPool, peers: [LendingService: any ClientTransport],
    options: LendingNodeOptions, logger: Logger
  ) async throws -> any LendingRuntime {
    func peer(_ service: LendingService) throws -> any ClientTransport {
      guard let transport = peers[service] else {
        throw LendingHostError("\(self) needs the address of \(service)")
      }
      return transport
    }
    switch self {
    case .origination:
      return try await OriginationRuntime.start(
        pool: pool, scoring: try peer(.scoring), productEngine: try peer(.productEngine),
        logger: logger, configuration: options.originationConfiguration)
    case .scoring:
      return try await ScoringRuntime.start(
        pool: pool, productEngine: try peer(.productEngine), origination: try peer(.origination),
        logger: logger, configuration: options.scoringConfiguration)
    case .productEngine:
      return try await ProductEngineRuntime.start(
        pool: pool, logger: logger, configuration: options.productEngineConfiguration)
    }
  }
}

import Logging
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// The Product Engine as a running component: the service to register with a server, and the
/// job worker that drives its durable jobs.
///
/// ```swift
/// let engine = try await ProductEngineRuntime.start(pool: pool, logger: logger)
/// // register engine.service with a server, then:
/// try await engine.run()   // until the task is cancelled
/// ```
public final class ProductEngineRuntime: Sendable {
  /// The job queue the Product Engine's worker serves.
  public static let defaultJobQueue = "product_engine"
  /// Attempts per job before it is declared dead (with the default back-off, hours of retries).
  static let jobAttempts = 500

  /// How the runtime runs.
  public struct Configuration: Sendable, Hashable {
    /// The job worker's settings (queue, concurrency, back-off, lease…).
    public var jobWorker: JobWorker.Configuration

    /// The defaults: retries from 100 ms, doubling up to 30 s.
    public init() {
      jobWorker = JobWorker.Configuration()
      jobWorker.queue = ProductEngineRuntime.defaultJobQueue
      jobWorker.retryBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(30))
    }
  }

  /// The RPC service, to register with a server or an `InProcessTransport`.
  public let service: ProductEngineService
  /// The worker that runs the service's jobs.
  public let worker: JobWorker

  /// A runtime on `pool`, whose database must be migrated (`start` does that).
  /// - Parameters:
  ///   - clock: the service clock.
  public init(
    pool: PostgresPool, clock: any WallClock = SystemWallClock(), logger: Logger,
    configuration: Configuration = Configuration()
  ) {
    let dispatcher = JobDispatcher()
    let service = ProductEngineService(
      pool: pool, clock: clock, logger: logger, jobQueue: configuration.jobWorker.queue,
      dispatcher: dispatcher)
    self.service = service
    worker = JobWorker(
      pool: pool, configuration: configuration.jobWorker,
      handlers: [ProductEngineService.payoutJobKind: { try await service.requestPayout($0) }],
      dispatcher: dispatcher, clock: clock, logger: logger)
  }

  /// Applies the migrations and returns a runtime ready to `run()`.
  /// - Throws: `MigrationError` or `PostgresError`.
  public static func start(
    pool: PostgresPool, clock: any WallClock = SystemWallClock(), logger: Logger,
    configuration: Configuration = Configuration()
  ) async throws -> ProductEngineRuntime {
    try await ProductEngineMigrations.migrate(pool: pool, logger: logger)
    return ProductEngineRuntime(
      pool: pool, clock: clock, logger: logger, configuration: configuration)
  }

  /// Runs the job worker until the task is cancelled. Jobs interrupted by the cancellation go
  /// back to the queue, for this or another runtime on the same database.
  public func run() async {
    await worker.run()
  }

  /// Whether the worker listens for new jobs (a readiness signal).
  public var isReady: Bool { worker.isListening }

  /// Returns once the worker listens for new jobs.
  public func waitUntilReady() async { await worker.waitUntilListening() }
}

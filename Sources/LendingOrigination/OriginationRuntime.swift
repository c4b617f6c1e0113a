import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// Origination as a running component: the service to register with a server, and the job
/// worker that carries applications to Scoring and accepted ones to the Product Engine.
///
/// ```swift
/// let origination = try await OriginationRuntime.start(
///   pool: pool, scoring: scoringTransport, productEngine: engineTransport, logger: logger)
/// // register origination.service with a server, then:
/// await origination.run()   // until the task is cancelled
/// ```
public final class OriginationRuntime: Sendable {
  /// The job queue Origination's worker serves.
  public static let defaultJobQueue = "origination"

  /// How the runtime runs.
  public struct Configuration: Sendable, Hashable {
    /// The job worker's settings (queue, concurrency, back-off, lease…).
    public var jobWorker: JobWorker.Configuration
    /// The timeout of each call to a peer made by a job.
    public var peerCallTimeout: Duration = .seconds(10)

    /// The defaults: retries from 100 ms, doubling up to 30 s.
    public init() {
      jobWorker = JobWorker.Configuration()
      jobWorker.queue = OriginationRuntime.defaultJobQueue
      jobWorker.retryBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(30))
    }
  }

  /// The RPC service, to register with a server or an `InProcessTransport`.
  public let service: OriginationService
  /// The worker that runs the service's jobs.
  public let worker: JobWorker

  /// A runtime on `pool`, whose database must be migrated (`start` does that).
  /// - Parameters:
  ///   - scoring: how to reach Scoring.
  ///   - productEngine: how to reach the Product Engine.
  ///   - clock: the service clock.
  public init(
    pool: PostgresPool, scoring: any ClientTransport, productEngine: any ClientTransport,
    clock: any WallClock = SystemWallClock(), logger: Logger,
    configuration: Configuration = Configuration()
  ) {
    let dispatcher = JobDispatcher()
    service = OriginationService(
      pool: pool, clock: clock, logger: logger, jobQueue: configuration.jobWorker.queue,
      dispatcher: dispatcher)
    let jobs = OriginationJobs(
      store: OriginationStore(pool: pool), scoring: Scoring.Client(transport: scoring),
      productEngine: ProductEngine.Client(transport: productEngine), clock: clock,
      callOptions: CallOptions(timeout: configuration.peerCallTimeout),
      queue: configuration.jobWorker.queue)
    worker = JobWorker(
      pool: pool, configuration: configuration.jobWorker, handlers: jobs.handlers,
      periodicJobs: OriginationJobs.periodicJobs, dispatcher: dispatcher, clock: clock,
      logger: logger)
  }

  /// Applies the migrations and returns a runtime ready to `run()`.
  /// - Throws: `MigrationError` or `PostgresError`.
  public static func start(
    pool: PostgresPool, scoring: any ClientTransport, productEngine: any ClientTransport,
    clock: any WallClock = SystemWallClock(), logger: Logger,
    configuration: Configuration = Configuration()
  ) async throws -> OriginationRuntime {
    try await OriginationMigrations.migrate(pool: pool, logger: logger)
    return OriginationRuntime(
      pool: pool, scoring: scoring, productEngine: productEngine, clock: clock, logger: logger,
      configuration: configuration)
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

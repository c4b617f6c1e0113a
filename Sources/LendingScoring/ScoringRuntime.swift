import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// Scoring as a running component: the service to register with a server, and the job worker
/// that evaluates applications and reports decisions to Origination.
///
/// ```swift
/// let scoring = try await ScoringRuntime.start(
///   pool: pool, productEngine: engineTransport, origination: originationTransport,
///   logger: logger)
/// // register scoring.service with a server, then:
/// await scoring.run()   // until the task is cancelled
/// ```
public final class ScoringRuntime: Sendable {
  /// The job queue Scoring's worker serves.
  public static let defaultJobQueue = "scoring"

  /// How the runtime runs.
  public struct Configuration: Sendable, Hashable {
    /// The job worker's settings (queue, concurrency, back-off, lease…).
    public var jobWorker: JobWorker.Configuration
    /// The timeout of each call to a peer made by a job.
    public var peerCallTimeout: Duration = .seconds(10)
    /// How long a call that brings an application waits for the Product Engine to decide it
    /// there and then; after that, or when the Product Engine fails, the application is
    /// acknowledged and evaluated in a job. Nil: always in a job.
    public var inlineEvaluationTimeout: Duration? = .seconds(2)
    /// The rules applications are evaluated with.
    public var policy = ScoringPolicy()

    /// The defaults: retries from 100 ms, doubling up to 30 s.
    public init() {
      jobWorker = JobWorker.Configuration()
      jobWorker.queue = ScoringRuntime.defaultJobQueue
      jobWorker.retryBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(30))
    }
  }

  /// The RPC service, to register with a server or an `InProcessTransport`.
  public let service: ScoringService
  /// The worker that runs the service's jobs.
  public let worker: JobWorker

  /// A runtime on `pool`, whose database must be migrated (`start` does that).
  /// - Parameters:
  ///   - productEngine: how to reach the Product Engine (client history, products).
  ///   - origination: how to reach Origination (decisions).
  ///   - clock: the service clock.
  public init(
    pool: PostgresPool, productEngine: any ClientTransport, origination: any ClientTransport,
    clock: any WallClock = SystemWallClock(), logger: Logger,
    configuration: Configuration = Configuration()
  ) {
    let dispatcher = JobDispatcher()
    let evaluator = ScoringEvaluator(
      policy: configuration.policy, productEngine: ProductEngine.Client(transport: productEngine),
      clock: clock)
    var service = ScoringService(
      pool: pool, clock: clock, logger: logger, jobQueue: configuration.jobWorker.queue,
      dispatcher: dispatcher)
    if let timeout = configuration.inlineEvaluationTimeout {
      service.inline = (evaluator, CallOptions(timeout: timeout))
    }
    self.service = service
    let jobs = ScoringJobs(
      store: ScoringStore(pool: pool), evaluator: evaluator,
      origination: Origination.Client(transport: origination),
      callOptions: CallOptions(timeout: configuration.peerCallTimeout),
      queue: configuration.jobWorker.queue)
    worker = JobWorker(
      pool: pool, configuration: configuration.jobWorker, handlers: jobs.handlers,
      dispatcher: dispatcher, clock: clock, logger: logger)
  }

  /// Applies the migrations and returns a runtime ready to `run()`.
  /// - Throws: `MigrationError` or `PostgresError`.
  public static func start(
    pool: PostgresPool, productEngine: any ClientTransport, origination: any ClientTransport,
    clock: any WallClock = SystemWallClock(), logger: Logger,
    configuration: Configuration = Configuration()
  ) async throws -> ScoringRuntime {
    try await ScoringMigrations.migrate(pool: pool, logger: logger)
    return ScoringRuntime(
      pool: pool, productEngine: productEngine, origination: origination, clock: clock,
      logger: logger, configuration: configuration)
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

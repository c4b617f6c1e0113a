import Logging
import Synchronization
import WirebankPostgres

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Runs the jobs of one queue: claims them with `FOR UPDATE SKIP LOCKED` under a lease, runs
/// their handlers (up to `concurrency` at once), retries failures with back-off, and rescues jobs
/// whose worker died once their lease ends.
///
/// A `LISTEN` connection wakes the worker within milliseconds of an enqueue's COMMIT (jobs queued
/// through a `JobDispatcher`: its own worker at once, others within its announcement spacing); a
/// sweep every `sweepInterval` is the fallback, and also enqueues periodic jobs. Leases of
/// running jobs are renewed every third of `lease`, so only a dead worker's jobs expire.
/// Several workers (in one process or many) can serve one queue.
public final class JobWorker: Sendable {
  /// How a worker runs.
  public struct Configuration: Sendable, Hashable {
    /// The queue served.
    public var queue = "default"
    /// Handlers running at once, at most (jobs dispatched while a claim runs can exceed it for
    /// the claim's round trip).
    public var concurrency = 32
    /// Jobs claimed per statement, at most.
    public var claimBatchSize = 32
    /// How long a claimed job stays reserved without a renewal.
    public var lease: Duration = .seconds(30)
    /// The fallback poll for due jobs (retries, delayed jobs, missed notifications).
    public var sweepInterval: Duration = .seconds(5)
    /// The least time between the starts of two claims. Under a steady stream of jobs each claim
    /// then takes all that arrived since the last one (fewer statements and commits), at the cost
    /// of up to this much delay per job; an idle worker still claims at once. Zero: a claim per
    /// wake-up.
    public var claimSpacing: Duration = .zero
    /// How long the completion of a job whose handler did not complete it in its own statement
    /// may wait to be written together with others. Under a steady stream of such jobs they then
    /// share a statement and a commit; a crash in that window runs those jobs again (as any crash
    /// between a handler's effect and its completion does). Zero: written at once.
    public var completionDelay: Duration = .zero
    /// The delay before retry `n` of a failed job.
    public var retryBackoff = Backoff(initial: .seconds(1), maximum: .seconds(3600))
    /// How long succeeded jobs are kept (their unique keys deduplicate for this long).
    public var retention: Duration = .seconds(7 * 86_400)
    /// The worker's name in `locked_by`.
    public var workerID = JobWorker.defaultWorkerID()

    /// The defaults.
    public init() {}
  }

  /// How the worker runs.
  public let configuration: Configuration
  let pool: PostgresPool
  let handlers: [String: JobHandler]
  let periodicJobs: [PeriodicJob]
  let clock: any WallClock
  let logger: Logger
  let wake = WakeSignal()
  let listening = ReadinessFlag()
  let inFlight = Mutex<[Int64: Int32]>([:])
  /// Places reserved for jobs being enqueued to start here at once (`JobDispatcher`).
  let reservedSlots = Atomic<Int>(0)
  /// Jobs enqueued as running by this worker, waiting for their task; closed once it stops.
  let dispatched = Mutex<(jobs: [Job], isOpen: Bool)>(([], true))
  let dispatchWake = WakeSignal()
  /// Whether due jobs may be waiting in the queue: then new jobs queue behind them instead of
  /// being dispatched ahead. Set by a notification from elsewhere or by the dispatcher when it
  /// queued a job for this worker; cleared by a claim that found fewer due jobs than it could
  /// take, or left none due.
  let backlog = Atomic<Bool>(true)
  let dispatcher: JobDispatcher?
  let batcher: CompletionBatcher
  /// What the worker did, for tests and diagnostics.
  let counters = Counters()

  /// Running totals of the worker's round trips and wake-ups.
  final class Counters: Sendable {
    /// Claim statements sent.
    let claims = Atomic<Int>(0)
    /// `NOTIFY`s of this worker's queue relayed to the claim loop.
    let notifications = Atomic<Int>(0)
    /// Fallback sweeps done (each wakes the claim loop).
    let sweeps = Atomic<Int>(0)
  }

  /// A worker for `handlers` (by job kind); jobs of other kinds are left for other workers.
  /// While it runs, jobs enqueued with `dispatcher` start here at once when there is room.
  public init(
    pool: PostgresPool, configuration: Configuration = Configuration(),
    handlers: [String: JobHandler], periodicJobs: [PeriodicJob] = [],
    dispatcher: JobDispatcher? = nil, clock: any WallClock = SystemWallClock(), logger: Logger
  ) {
    self.pool = pool
    self.dispatcher = dispatcher
    self.configuration = configuration
    self.handlers = handlers
    self.periodicJobs = periodicJobs
    self.clock = clock
    var logger = logger
    logger[metadataKey: "jobs.queue"] = "\(configuration.queue)"
    self.logger = logger
    batcher = CompletionBatcher(pool: pool, delay: configuration.completionDelay, logger: logger)
  }

  /// Runs until the task is cancelled; handlers still running are then cancelled, and jobs
  /// whose handlers fail while the worker stops go back to the queue without using an attempt.
  public func run() async {
    let listener = PostgresListener(
      configuration: pool.configuration, channels: [JobsSchema.notificationChannel], logger: logger)
    await withDiscardingTaskGroup { group in
      group.addTask { await listener.run() }
      group.addTask { await self.relayWakeUps(from: listener) }
      group.addTask { await self.sweep() }
      group.addTask { await self.renewLeases() }
      group.addTask { await self.batcher.run() }
      dispatched.withLock { $0.isOpen = true }
      group.addTask { await self.runDispatchedJobs() }
      dispatcher?.attach(self)
      await claimLoop(group: &group)
      dispatcher?.detach(self)
      group.cancelAll()
    }
    // The final flush must run although this task is cancelled.
    await Task { await batcher.flush() }.value
    logger.debug("job worker stopped")
  }

  /// Returns once the worker's `LISTEN` first took effect (useful before measuring wake-ups).
  public func waitUntilListening() async { await listening.wait() }

  /// Whether the worker's `LISTEN` has taken effect (a readiness signal for health checks).
  public var isListening: Bool { listening.isRaised }

  /// Enqueues the current period's job of every periodic job not enqueued yet.
  /// - Returns: how many were enqueued (0 when other replicas were first).
  @discardableResult
  public func enqueueDuePeriodicJobs() async throws -> Int {
    guard !periodicJobs.isEmpty else { return 0 }
    let now = clock.now()
    let jobs = periodicJobs.map { $0.job(for: now, queue: configuration.queue) }
    return try await pool.withTransaction { try await JobQueue.enqueue(jobs, in: $0) }
  }

  /// `host-pid-random`, unique enough to tell workers apart in `locked_by`.
  public static func defaultWorkerID() -> String {
    var name = [CChar](repeating: 0, count: 256)
    let host =
      gethostname(&name, name.count) == 0
      ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      : "host"
    return "\(host)-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
  }

  private func relayWakeUps(from listener: PostgresListener) async {
    for await event in listener.events {
      switch event {
      case .listening:
        listening.raise()
        wake.signal()
      case .notification(let notification):
        let (queue, sender) = JobsSchema.notification(notification.payload)
        // The echo of this process's own announcement: its dispatcher woke the worker already.
        guard queue == configuration.queue, dispatcher?.sent(sender) != true else { break }
        // The backlog first: whoever sees the notification counted sees the backlog too.
        backlog.store(true, ordering: .releasing)
        counters.notifications.add(1, ordering: .releasing)
        wake.signal()
      }
    }
  }
}

import Logging
import Synchronization
import WirebankPostgres

/// Runs a job of one kind. Throwing schedules a retry with back-off (or, after the last
/// attempt, marks the job dead with the error kept); returning marks it succeeded.
///
/// A job may run more than once (its worker can die after the work and before recording it, and
/// a database crash can lose a completion that committed asynchronously, as the completions of
/// handlers that return do: see `JobCommit`), so handlers must be idempotent, or do their
/// database work in `JobContext.complete(_:)`.
public typealias JobHandler = @Sendable (JobContext) async throws -> Void

/// What a job handler receives: the job, the service's database, and a way to commit its work
/// together with the job's completion.
public struct JobContext: Sendable {
  /// The job being run.
  public let job: Job
  /// The service's database.
  public let pool: PostgresPool
  /// A logger carrying the job's id and kind.
  public let logger: Logger
  let completion: CompletionFlag
  /// Starts the follow-up a completion enqueues on this worker (nil: no dispatching).
  let dispatcher: JobDispatcher?

  /// Runs `body` in a transaction that also marks the job succeeded, so the handler's database
  /// changes and the job's completion commit together or not at all: exactly once.
  ///
  /// If the job's lease ended meanwhile and another worker took it, the transaction rolls back.
  /// - Throws: what `body` throws, `JobError` with `leaseLost`, or `PostgresError`.
  @discardableResult
  public func complete<Result: Sendable>(
    _ body: (PostgresTransaction) async throws -> Result
  ) async throws -> Result {
    let job = self.job
    let result = try await pool.withTransaction { transaction in
      let result = try await body(transaction)
      guard try await JobClaims.complete(id: job.id, attempt: Int32(job.attempt), in: transaction)
      else {
        throw JobError(reason: .leaseLost, jobID: job.id)
      }
      return result
    }
    completion.isCompleted.store(true, ordering: .relaxed)
    return result
  }
}

final class CompletionFlag: Sendable {
  let isCompleted = Atomic<Bool>(false)
}

extension JobWorker {
  /// Runs one claimed job's handler and records the outcome.
  func execute(_ job: Job) async {
    var logger = self.logger
    // One assignment: a log handler may re-render its metadata on every change (swift-log's
    // StreamLogHandler does), which showed in profiles when done per key.
    var metadata = logger.handler.metadata
    metadata["job.id"] = "\(job.id)"
    metadata["job.kind"] = "\(job.kind)"
    logger.handler.metadata = metadata
    let attempt = Int32(job.attempt)
    var retryScheduled = false
    defer {
      let wasFull = inFlight.withLock { inFlight in
        defer { _ = inFlight.removeValue(forKey: job.id) }
        return inFlight.count + reservedSlots.load(ordering: .relaxed)
          >= configuration.concurrency
      }
      // Only a full worker waits for a handler to finish (one with room is woken by NOTIFY), and
      // a retry may be due before the claim loop's next wake-up: otherwise a claim now would find
      // nothing, and at a few jobs per second that was most claims.
      if wasFull || retryScheduled { wake.signal() }
    }
    guard let handler = handlers[job.kind] else { return }
    let completion = CompletionFlag()
    let context = JobContext(
      job: job, pool: pool, logger: logger, completion: completion, dispatcher: dispatcher)
    do {
      try await handler(context)
      if !completion.isCompleted.load(ordering: .relaxed) {
        batcher.add(id: job.id, attempt: attempt)
      }
    } catch let error as JobError where error.reason == .leaseLost {
      logger.warning("job lost its lease; another worker has it")
    } catch {
      // A failure while the worker stops is most likely the stop itself: do not count it.
      let cancelled = Task.isCancelled
      let delay = configuration.retryBackoff.delay(forAttempt: job.attempt)
      let message = String(String(describing: error).prefix(2000))
      let pool = self.pool
      // Record the outcome even when this task is cancelled (the worker is stopping).
      let outcome = await Task {
        if cancelled {
          try await JobClaims.release(id: job.id, attempt: attempt, started: true, pool: pool)
          return nil as JobState?
        }
        return try await JobClaims.fail(
          id: job.id, attempt: attempt, error: message, retryIn: delay, pool: pool)
      }.result
      switch outcome {
      case .success(.dead?):
        logger.error("job is dead after its last attempt", metadata: ["error": "\(message)"])
      case .success(let state):
        retryScheduled = state == .pending
        if !cancelled {
          logger.info(
            "job failed; retrying",
            metadata: ["error": "\(message)", "state": "\(state.map { "\($0)" } ?? "lost")"])
        }
      case .failure(let failure):
        logger.warning("cannot record job failure", metadata: ["error": "\(failure)"])
      }
    }
  }
}

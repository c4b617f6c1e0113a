import WirebankPostgres

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Enqueuing and inspecting jobs. Enqueue inside the transaction of the change that needs the
/// job (transactional outbox): both commit, or neither does, and workers hear of it at COMMIT.
public enum JobQueue {
  /// Enqueues `job` in `transaction`; `nil` if a job with the same `uniqueKey` exists.
  ///
  /// A job that may start now also sends `NOTIFY`, delivered when the transaction commits.
  /// - Throws: `PostgresError`.
  @discardableResult
  public static func enqueue(_ job: NewJob, in transaction: PostgresTransaction) async throws
    -> Int64?
  {
    let rows = try await transaction.query(
      """
      WITH inserted AS (
        INSERT INTO wirebank_jobs (queue, kind, payload, unique_key, max_attempts, available_at)
        VALUES (\(job.queue), \(job.kind), \(job.payload), \(job.uniqueKey),
                \(Int32(clamping: job.maxAttempts)), COALESCE(\(job.runAt), now()))
        ON CONFLICT (unique_key) DO NOTHING
        RETURNING id, available_at <= now() AS due)
      SELECT id,
        CASE WHEN due THEN pg_notify(\(JobsSchema.notificationChannel), \(job.queue))::text END
      FROM inserted
      """)
    return try rows.first?.decode(Int64.self, at: 0)
  }

  /// Enqueues several jobs in one statement; returns how many were new (not deduplicated).
  /// - Throws: `PostgresError`.
  @discardableResult
  public static func enqueue(_ jobs: [NewJob], in transaction: PostgresTransaction) async throws
    -> Int
  {
    guard !jobs.isEmpty else { return 0 }
    let rows = try await transaction.query(
      """
      WITH inserted AS (
        INSERT INTO wirebank_jobs (queue, kind, payload, unique_key, max_attempts, available_at)
        SELECT queue, kind, payload, unique_key, max_attempts, COALESCE(run_at, now())
        FROM unnest(\(PostgresArray(jobs.map(\.queue))), \(PostgresArray(jobs.map(\.kind))),
                    \(PostgresArray(jobs.map(\.payload))), \(PostgresArray(jobs.map(\.uniqueKey))),
                    \(PostgresArray(jobs.map { Int32(clamping: $0.maxAttempts) })),
                    \(PostgresArray(jobs.map(\.runAt))))
          AS new (queue, kind, payload, unique_key, max_attempts, run_at)
        ON CONFLICT (unique_key) DO NOTHING
        RETURNING queue, available_at <= now() AS due)
      SELECT (SELECT count(*) FROM inserted),
             (SELECT count(pg_notify(\(JobsSchema.notificationChannel), queue))
              FROM (SELECT DISTINCT queue FROM inserted WHERE due) AS due_queues)
      """)
    return Int(try rows.single().decode(Int64.self, at: 0))
  }

  /// A job's state, attempts so far and last error, or `nil` if there is no such job.
  public struct Status: Sendable, Hashable {
    /// Where the job is.
    public var state: JobState
    /// Attempts started so far.
    public var attempts: Int
    /// The error of the last failed attempt, if any.
    public var lastError: String?

    /// A status with the given values.
    public init(state: JobState, attempts: Int, lastError: String?) {
      self.state = state
      self.attempts = attempts
      self.lastError = lastError
    }
  }

  /// The status of job `id`.
  public static func status(of id: Int64, pool: PostgresPool) async throws -> Status? {
    let rows = try await pool.query(
      "SELECT state, attempts, last_error FROM wirebank_jobs WHERE id = \(id)")
    guard let row = rows.first else { return nil }
    let (state, attempts, lastError) = try row.decode((String, Int32, String?).self)
    guard let jobState = JobState(rawValue: state) else {
      throw PostgresError(.unexpectedResponse, reason: "unknown job state", columnName: "state")
    }
    return Status(state: jobState, attempts: Int(attempts), lastError: lastError)
  }
}

import WirebankPostgres

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// The statements workers run. Every change to a claimed job is fenced by its attempt number, so
/// a worker whose lease ended (and whose job another worker took) cannot touch it any more.
enum JobClaims {
  /// What one claim statement returns.
  struct Claimed: Sendable {
    /// The jobs claimed, to run now.
    var jobs: [Job] = []
    /// How many of them were taken over from a worker whose lease ended.
    var rescued = 0
    /// Expired jobs with no attempts left, declared dead instead of claimed.
    var declaredDead = 0
    /// How long until the earliest job left in the queue becomes due (negative waits are
    /// zero); `nil` when no job of these kinds is waiting or running.
    var nextDue: Duration?
  }

  /// Claims up to `limit` due jobs of `kinds`, including running ones whose lease expired
  /// (their worker died). An expired job with no attempts left becomes dead instead.
  ///
  /// The same statement tells when the next job left in the queue becomes due, so a worker
  /// that claimed less than it asked for knows how long to wait without another round trip.
  static func claim(
    queue: String, kinds: [String], limit: Int, lease: Duration, worker: String, pool: PostgresPool
  ) async throws -> Claimed {
    let kinds = PostgresArray(kinds)
    let rows = try await pool.query(
      """
      WITH candidates AS (
        -- `finished_at IS NULL` is the claim index's predicate; the states guard against a row
        -- that breaks the rule the two share (JobsSchema's migration 7).
        SELECT id FROM wirebank_jobs
        WHERE queue = \(queue) AND finished_at IS NULL AND state IN ('pending', 'running')
          AND available_at <= now() AND kind = ANY(\(kinds))
        ORDER BY available_at, id
        LIMIT \(Int64(limit))
        FOR UPDATE SKIP LOCKED),
      claimed AS (
        UPDATE wirebank_jobs AS job SET
          state = CASE WHEN job.state = 'running' AND job.attempts >= job.max_attempts
                  THEN 'dead' ELSE 'running' END,
          attempts = CASE WHEN job.state = 'running' AND job.attempts >= job.max_attempts
                     THEN job.attempts ELSE job.attempts + 1 END,
          last_error = CASE WHEN job.state = 'running'
                       THEN 'lease expired: the worker of attempt ' || job.attempts || ' was lost'
                       ELSE job.last_error END,
          finished_at = CASE WHEN job.state = 'running' AND job.attempts >= job.max_attempts
                        THEN now() END,
          available_at = now() + \(milliseconds(lease)) * interval '1 millisecond',
          locked_by = \(worker)
        FROM candidates WHERE job.id = candidates.id
        RETURNING job.id, job.kind, job.payload, job.attempts, job.max_attempts, job.unique_key,
                  job.created_at, job.state, job.last_error LIKE 'lease expired%' AS expired,
                  job.last_error IS NOT NULL AS ran_before),
      next_due AS (
        -- This statement's snapshot still shows the claimed rows as due: leave them out.
        SELECT EXTRACT(EPOCH FROM min(available_at) - now())::float8 AS seconds
        FROM wirebank_jobs
        WHERE queue = \(queue) AND finished_at IS NULL AND state IN ('pending', 'running')
          AND kind = ANY(\(kinds)) AND id NOT IN (SELECT id FROM candidates))
      SELECT claimed.id, claimed.kind, claimed.payload, claimed.attempts, claimed.max_attempts,
        claimed.unique_key, claimed.created_at, claimed.state, claimed.expired, claimed.ran_before,
        next_due.seconds
      FROM next_due LEFT JOIN claimed ON true
      """)
    var claimed = Claimed()
    for row in rows {
      if let seconds = try row.decode(Double?.self, at: 10), seconds.isFinite {
        claimed.nextDue = .milliseconds(max(0, Int64(seconds * 1000)))
      }
      // With nothing claimed the one row carries only the next due time.
      guard !row.isNull(at: 0) else { continue }
      let (id, kind, payload, attempt, maxAttempts, uniqueKey, createdAt, state, expired) =
        try row.decode((Int64, String, [UInt8], Int32, Int32, String?, Date, String, Bool?).self)
      if state == JobState.dead.rawValue {
        claimed.declaredDead += 1
        continue
      }
      if expired == true && attempt > 1 { claimed.rescued += 1 }
      claimed.jobs.append(
        Job(
          id: id, kind: kind, payload: payload, attempt: Int(attempt),
          maxAttempts: Int(maxAttempts), uniqueKey: uniqueKey, createdAt: createdAt,
          mayHaveRunBefore: try row.decode(Bool?.self, at: 9) ?? false))
    }
    return claimed
  }

  /// Marks attempts succeeded in one statement, committed asynchronously (`JobCommit`): a
  /// handler that did not complete its job itself may run twice anyway (its worker can die
  /// before the completion), so a completion lost in a database crash asks nothing more of it.
  static func complete(_ attempts: [(id: Int64, attempt: Int32)], pool: PostgresPool) async throws {
    guard let first = attempts.first else { return }
    // A lone attempt by its key: planned once per connection. The arrays' form is estimated
    // from statistics at every call (PostgreSQL keeps choosing custom plans for it).
    if attempts.count == 1 {
      try await pool.query(completion(id: first.id, attempt: first.attempt, commit: .asynchronous))
      return
    }
    try await pool.query(
      """
      UPDATE wirebank_jobs AS job SET state = 'succeeded', finished_at = now(), locked_by = NULL
      FROM unnest(\(PostgresArray(attempts.map(\.id))), \(PostgresArray(attempts.map(\.attempt))))
        AS done (id, attempt)
      WHERE job.id = done.id AND job.attempts = done.attempt AND job.state = 'running'
      \(unsafeSQL: JobCommit.asynchronous.returning)
      """)
  }

  /// Marks one attempt succeeded inside the caller's transaction; false if the lease was lost.
  static func complete(id: Int64, attempt: Int32, in transaction: PostgresTransaction) async throws
    -> Bool
  {
    try await transaction.query(completion(id: id, attempt: attempt, commit: .durable))
      .affectedRows == 1
  }

  /// The statement that marks one attempt succeeded (no row changes if its lease was lost).
  private static func completion(id: Int64, attempt: Int32, commit: JobCommit) -> PostgresQuery {
    """
    UPDATE wirebank_jobs SET state = 'succeeded', finished_at = now(), locked_by = NULL
    WHERE id = \(id) AND attempts = \(attempt) AND state = 'running'
    \(unsafeSQL: commit.returning)
    """
  }

  /// Records a failed attempt: pending again after `retryIn`, or dead when none are left.
  static func fail(
    id: Int64, attempt: Int32, error: String, retryIn: Duration, pool: PostgresPool
  ) async throws -> JobState? {
    let rows = try await pool.query(
      """
      UPDATE wirebank_jobs SET
        state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
        finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
        available_at = now() + \(milliseconds(retryIn)) * interval '1 millisecond',
        last_error = \(error), locked_by = NULL
      WHERE id = \(id) AND attempts = \(attempt) AND state = 'running'
      RETURNING state
      """)
    return try rows.first.flatMap { JobState(rawValue: try $0.decode(String.self)) }
  }

  /// Gives an attempt back (the worker is shutting down): pending now, attempt not counted. An
  /// attempt whose handler `started` is recorded as interrupted, so that the next attempt knows
  /// it may have run before (`Job.mayHaveRunBefore`).
  static func release(id: Int64, attempt: Int32, started: Bool, pool: PostgresPool) async throws {
    try await pool.query(
      """
      UPDATE wirebank_jobs SET state = 'pending', attempts = attempts - 1,
        available_at = now(), locked_by = NULL,
        last_error = CASE WHEN \(started)
          THEN 'interrupted: the worker stopped during attempt ' || attempts ELSE last_error END
      WHERE id = \(id) AND attempts = \(attempt) AND state = 'running'
      """)
  }

  /// Extends the leases of attempts still running.
  static func extendLeases(
    _ attempts: [(id: Int64, attempt: Int32)], lease: Duration, pool: PostgresPool
  ) async throws {
    guard !attempts.isEmpty else { return }
    try await pool.query(
      """
      UPDATE wirebank_jobs AS job
      SET available_at = now() + \(milliseconds(lease)) * interval '1 millisecond'
      FROM unnest(\(PostgresArray(attempts.map(\.id))), \(PostgresArray(attempts.map(\.attempt))))
        AS held (id, attempt)
      WHERE job.id = held.id AND job.attempts = held.attempt AND job.state = 'running'
      """)
  }

  /// Deletes succeeded jobs that finished before `retention` ago, a bounded batch at a time.
  static func purgeSucceeded(olderThan retention: Duration, pool: PostgresPool) async throws -> Int
  {
    try await pool.query(
      """
      DELETE FROM wirebank_jobs WHERE id IN (
        SELECT id FROM wirebank_jobs WHERE state = 'succeeded'
          AND finished_at < now() - \(milliseconds(retention)) * interval '1 millisecond'
        LIMIT 1000)
      """
    ).affectedRows
  }

  static func milliseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds * 1000 + attoseconds / 1_000_000_000_000_000
  }
}

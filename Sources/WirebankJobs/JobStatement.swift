import WirebankPostgres

/// One SQL statement built around a caller's data-modifying statement (`work`), so that the
/// change, the jobs it needs and a job's completion travel in a single round trip and commit
/// together (a statement is atomic even outside a transaction).
///
/// The caller's values keep their placeholders; the values added here are bound after them.
struct JobStatement {
  private(set) var query: PostgresQuery
  private var ctes: [String]

  /// Starts with `statement` as the common table expression `work`. It must be an INSERT,
  /// UPDATE or DELETE with RETURNING (or a SELECT).
  init(work statement: PostgresQuery) {
    var statements = statement
    statements.sql = "work AS (\n\(statement.sql))"
    self.init(ctes: statements)
  }

  /// Starts with `statements`, a change of several steps: common table expressions
  /// (`name AS (…)`, separated by commas), the last of which is `work`.
  init(ctes statements: PostgresQuery) {
    query = PostgresQuery(unsafeSQL: "", bindings: statements.bindings)
    ctes = [statements.sql]
  }

  /// Binds `value` after the values already bound and returns its placeholder.
  mutating func bind<Value: PostgresEncodable>(_ value: Value) -> String {
    query.bindings.append(value)
    return "$\(query.bindings.count)"
  }

  /// Adds a common table expression (SQL text of this module only; values through `bind`).
  mutating func add(cte: String) { ctes.append(cte) }

  /// Adds the CTE `follow_ups`, which enqueues `jobs` when `work` returned a row (the jobs are
  /// what that change needs) — with `flag`, a row whose boolean column `flag` is true — and
  /// returns an expression that is positive when due ones were queued; it notifies workers of
  /// them when `start` says so.
  ///
  /// With `start.slot`, the one job is inserted already claimed by the slot's worker (running,
  /// under its lease, no notification), and the expression returned is the job's id, or NULL
  /// when it was not enqueued.
  mutating func enqueue(
    _ jobs: [NewJob], whenTrue flag: String? = nil, starting start: FollowUpStart
  ) -> String {
    let returned: String
    if let flag {
      let isName = flag.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (97...122).contains($0) }
      precondition(!flag.isEmpty && isName, "a column name of lowercase letters and underscores")
      returned = "EXISTS (SELECT 1 FROM work WHERE work.\(flag))"
    } else {
      returned = "EXISTS (SELECT 1 FROM work)"
    }
    let queues = bind(PostgresArray(jobs.map(\.queue)))
    let kinds = bind(PostgresArray(jobs.map(\.kind)))
    let payloads = bind(PostgresArray(jobs.map(\.payload)))
    let keys = bind(PostgresArray(jobs.map(\.uniqueKey)))
    let attempts = bind(PostgresArray(jobs.map { Int32(clamping: $0.maxAttempts) }))
    let runAt = bind(PostgresArray(jobs.map(\.runAt)))
    var columns = "queue, kind, payload, unique_key, max_attempts, available_at"
    var values = "COALESCE(run_at, now())"
    var returning = "queue, available_at <= now() AS due"
    if let slot = start.slot {
      let lease = bind(JobClaims.milliseconds(slot.lease))
      columns += ", state, attempts, locked_by"
      // The lease runs from the insert itself, not from the start of its transaction.
      values =
        "clock_timestamp() + \(lease) * interval '1 millisecond', 'running', 1, "
        + bind(slot.workerID)
      returning = "id"
    }
    add(
      cte: """
        follow_ups AS (
          INSERT INTO wirebank_jobs (\(columns))
          SELECT queue, kind, payload, unique_key, max_attempts, \(values)
          FROM unnest(\(queues), \(kinds), \(payloads), \(keys), \(attempts), \(runAt))
            AS new (queue, kind, payload, unique_key, max_attempts, run_at)
          WHERE \(returned)
          ON CONFLICT (unique_key) DO NOTHING
          RETURNING \(returning))
        """)
    if start.slot != nil { return "(SELECT id FROM follow_ups)" }
    guard start.notifies else { return "(SELECT count(*) FROM follow_ups WHERE due)" }
    let channel = bind(JobsSchema.notificationChannel)
    return """
      (SELECT count(pg_notify(\(channel), queue))
       FROM (SELECT DISTINCT queue FROM follow_ups WHERE due) AS due_queues)
      """
  }

  /// The statement: the CTEs, then `select` (the main query, which may read any CTE).
  func finished(select: String) -> PostgresQuery {
    var query = self.query
    query.sql = "WITH " + ctes.joined(separator: ",\n") + "\n" + select
    return query
  }
}

extension JobQueue {
  /// Runs `statement` and, if it returned a row, enqueues `jobs`, in one statement: the change
  /// and the jobs it needs commit together without a transaction of their own.
  ///
  /// `statement` is an INSERT, UPDATE or DELETE with RETURNING (or a SELECT); its rows are
  /// returned, each with one more column at the end. With `dispatcher`, a single job its worker
  /// can start now is enqueued already claimed by it and starts once the statement returns.
  /// - Throws: `PostgresError`.
  @discardableResult
  public static func enqueue(
    _ jobs: [NewJob], along statement: PostgresQuery, pool: PostgresPool,
    dispatcher: JobDispatcher? = nil
  ) async throws -> PostgresRows {
    try await run(jobs, JobStatement(work: statement), pool: pool, dispatcher: dispatcher)
  }

  /// Like `enqueue(_:along:pool:)`, but enqueues `jobs` only when a returned row has `true` in
  /// its boolean column `flag` (a name of lowercase letters and underscores), so that one
  /// statement serves a change whose follow-ups depend on what it found.
  ///
  /// A job dispatched to the worker here starts with `startingPayload(rows)` instead of its
  /// stored payload, when that is not nil: what its first attempt would otherwise read back
  /// from the rows just changed. A job that a worker claims (queued, or rescued after a crash)
  /// always gets the stored payload.
  /// - Throws: `PostgresError`.
  @discardableResult
  public static func enqueue(
    _ jobs: [NewJob], along statement: PostgresQuery, whenTrue flag: String, pool: PostgresPool,
    dispatcher: JobDispatcher? = nil, startingPayload: (PostgresRows) -> [UInt8]? = { _ in nil }
  ) async throws -> PostgresRows {
    try await run(
      jobs, JobStatement(work: statement), whenTrue: flag, pool: pool, dispatcher: dispatcher,
      startingPayload: startingPayload)
  }

  /// Like `enqueue(_:along:whenTrue:pool:)`, for a change of several steps in one statement:
  /// `ctes` is a list of common table expressions (`name AS (…)`, separated by commas) whose
  /// last is `work`. The rows of `work` are returned, each with one more column at the end.
  /// - Throws: `PostgresError`.
  @discardableResult
  public static func enqueue(
    _ jobs: [NewJob], alongCTEs ctes: PostgresQuery, whenTrue flag: String, pool: PostgresPool,
    dispatcher: JobDispatcher? = nil
  ) async throws -> PostgresRows {
    try await run(
      jobs, JobStatement(ctes: ctes), whenTrue: flag, pool: pool, dispatcher: dispatcher)
  }

  /// The same as `enqueue(_:along:pool:)`, inside `transaction`.
  /// - Throws: `PostgresError`.
  @discardableResult
  public static func enqueue(
    _ jobs: [NewJob], along statement: PostgresQuery, in transaction: PostgresTransaction
  ) async throws -> PostgresRows {
    try await transaction.query(alongQuery(jobs, JobStatement(work: statement)))
  }

  /// Runs the statement on `pool`, dispatching its job when `dispatcher` can.
  private static func run(
    _ jobs: [NewJob], _ statement: JobStatement, whenTrue flag: String? = nil,
    pool: PostgresPool, dispatcher: JobDispatcher?,
    startingPayload: (PostgresRows) -> [UInt8]? = { _ in nil }
  ) async throws -> PostgresRows {
    try await JobDispatcher.dispatching(
      jobs, on: dispatcher, pool: pool, startingPayload: startingPayload
    ) { start in
      let rows = try await pool.query(alongQuery(jobs, statement, whenTrue: flag, start: start))
      return (rows, rows)
    }
  }

  private static func alongQuery(
    _ jobs: [NewJob], _ statement: JobStatement, whenTrue flag: String? = nil,
    start: FollowUpStart = FollowUpStart(slot: nil, notifies: true)
  ) -> PostgresQuery {
    var combined = statement
    guard !jobs.isEmpty else { return combined.finished(select: "SELECT work.*, 0 FROM work") }
    let notify = combined.enqueue(jobs, whenTrue: flag, starting: start)
    // An uncorrelated subquery: evaluated once, however many rows `work` returned.
    return combined.finished(select: "SELECT work.*, \(notify) FROM work")
  }
}

extension JobContext {
  /// Runs `statement`, enqueues `jobs` if it returned a row, and marks the job succeeded, all in
  /// one statement: together or not at all, like `complete(_:)`, but without BEGIN and COMMIT
  /// round trips. (Exactly once, too, unless `commit` is `.asynchronous`: a database crash can
  /// then undo all of it, and the job runs again.)
  ///
  /// `statement` is an INSERT, UPDATE or DELETE with RETURNING (or a SELECT). If the job's lease
  /// ended meanwhile and another worker took it, the whole statement rolls back.
  /// - Parameters:
  ///   - jobs: the change's follow-ups, enqueued only when `statement` returned a row; one job
  ///     this worker runs starts here at once when there is room (see `JobDispatcher`).
  ///   - flag: with it, the follow-ups are enqueued only when a returned row has `true` in this
  ///     boolean column (a name of lowercase letters and underscores).
  ///   - startingPayload: what a job dispatched here starts with instead of its stored payload
  ///     (a job that a worker claims always gets the stored one).
  ///   - onlyIfReturning: when `statement` returns no row, commit nothing and leave the job
  ///     running (the result is then `nil`), so that the handler can take a slower path.
  ///   - commit: `.asynchronous` for a change the job's next attempt would make again (see
  ///     `JobCommit`); durable by default.
  /// - Returns: how many rows `statement` returned; `nil` when nothing was committed.
  /// - Throws: `JobError` with `leaseLost`, or `PostgresError`.
  @discardableResult
  public func complete(
    with statement: PostgresQuery, enqueueing jobs: [NewJob] = [], whenTrue flag: String? = nil,
    startingPayload: [UInt8]? = nil, onlyIfReturning: Bool = false, commit: JobCommit = .durable
  ) async throws -> Int? {
    var combined = JobStatement(work: statement)
    let id = combined.bind(job.id)
    let attempt = combined.bind(Int32(job.attempt))
    let wanted = onlyIfReturning ? "EXISTS (SELECT 1 FROM work)" : "true"
    combined.add(
      cte: """
        done AS (
          UPDATE wirebank_jobs SET state = 'succeeded', finished_at = now(), locked_by = NULL
          WHERE id = \(id) AND attempts = \(attempt) AND state = 'running' AND \(wanted)
          RETURNING id)
        """)
    let returned: Int
    do {
      returned = try await JobDispatcher.dispatching(
        jobs, on: dispatcher, pool: pool, startingPayload: { _ in startingPayload }
      ) { start in
        var combined = combined
        let notify = jobs.isEmpty ? "0" : combined.enqueue(jobs, whenTrue: flag, starting: start)
        // Before the last column, which `JobDispatcher` reads.
        let relaxed = commit == .asynchronous ? JobCommit.asynchronousSQL + ", " : ""
        let query = combined.finished(
          select: """
            SELECT (SELECT count(*) FROM work),
              wirebank_jobs_fence(\(id), EXISTS (SELECT 1 FROM done) OR NOT \(wanted)),
              \(relaxed)\(notify)
            """)
        let rows = try await pool.query(query)
        let returned = Int(try rows.single().decode(Int64.self, at: 0))
        return (returned, rows)
      }
    } catch let error as PostgresError where error.code == JobsSchema.leaseLostCode {
      throw JobError(reason: .leaseLost, jobID: job.id)
    }
    if onlyIfReturning && returned == 0 { return nil }
    completion.isCompleted.store(true, ordering: .relaxed)
    return returned
  }
}

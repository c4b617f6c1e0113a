import WirebankPostgres

extension IdempotencyKeys {
  /// The SQLSTATE of a one-statement request that found its key stored already.
  static let keyTakenCode = PostgresError.Code(rawValue: "WJ002")

  /// The usual case of `perform`, a new key, in one statement: for an operation that is one
  /// data-modifying statement whose response is known before it runs.
  ///
  /// `statement` (an INSERT, UPDATE or DELETE with RETURNING), the `jobs` it needs and the key
  /// with `response` stored as completed commit together when `statement` returns a row and the
  /// key is new. Otherwise nothing is committed and the result is nil: the key is stored
  /// already (a replay, another request, an expired key) or the statement changed nothing, and
  /// `perform` is the way to go on. With `dispatcher`, a single job its worker can start now
  /// is enqueued already claimed by it and starts once the statement returns.
  /// - Returns: the rows of `statement`, each with two more columns at the end; nil as above.
  /// - Throws: `IdempotencyError` with `invalidKey`, or `PostgresError`.
  public func performInOneStatement(
    scope: String, key: String, request: RequestFingerprint, response: [UInt8],
    jobs: [NewJob], along statement: PostgresQuery, dispatcher: JobDispatcher? = nil
  ) async throws -> PostgresRows? {
    try Self.check(key: key)
    return try await JobDispatcher.dispatching(jobs, on: dispatcher, pool: pool) { start in
      let rows = try await run(
        scope: scope, key: key, request: request, response: response, jobs: jobs,
        along: statement, start: start)
      return (rows, rows)
    }
  }

  private func run(
    scope: String, key: String, request: RequestFingerprint, response: [UInt8],
    jobs: [NewJob], along statement: PostgresQuery, start: FollowUpStart
  ) async throws -> PostgresRows? {
    var combined = JobStatement(work: statement)
    let notify = jobs.isEmpty ? "0" : combined.enqueue(jobs, starting: start)
    let (scope, key) = (combined.bind(scope), combined.bind(key))
    let (fingerprint, body) = (combined.bind(request.digest), combined.bind(response))
    let now = combined.bind(clock.now())
    combined.add(
      cte: """
        stored_key AS (
          INSERT INTO wirebank_idempotency_keys (scope, key, fingerprint, state, response,
            created_at)
          SELECT \(scope), \(key), \(fingerprint), 'completed', \(body), \(now)
          WHERE EXISTS (SELECT 1 FROM work)
          ON CONFLICT DO NOTHING
          RETURNING 1)
        """)
    let query = combined.finished(
      select: """
        SELECT work.*,
          wirebank_require(EXISTS (SELECT 1 FROM stored_key), '\(Self.keyTakenCode.rawValue)',
            'the idempotency key is stored already'),
          \(notify)
        FROM work
        """)
    do {
      let rows = try await pool.query(query)
      return rows.isEmpty ? nil : rows
    } catch let error as PostgresError where error.code == Self.keyTakenCode {
      return nil
    }
  }

  /// Refuses a key that is empty or longer than 255 bytes.
  static func check(key: String) throws {
    guard !key.isEmpty, key.utf8.count <= 255 else {
      throw IdempotencyError(code: .invalidKey, reason: "idempotency keys are 1 to 255 bytes")
    }
  }
}

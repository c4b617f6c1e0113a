import Foundation
import Testing
import WirebankJobs
import WirebankPostgres

/// `performInOneStatement`: a new key commits with its change and jobs in one statement; any
/// other case commits nothing and leaves the decision to `perform`.
@Suite struct IdempotencyOneStatementTests {
  static let start = Date(timeIntervalSince1970: 1_700_000_000)

  private static func charge(_ amount: Int64, code: String) -> PostgresQuery {
    """
    INSERT INTO charges (amount, code) VALUES (\(amount), \(code))
    ON CONFLICT (code) DO NOTHING RETURNING id
    """
  }

  private static func count(_ table: String, _ pool: PostgresPool) async throws -> Int64 {
    try await pool.query("SELECT count(*) FROM \(unsafeSQL: table)").single().decode(Int64.self)
  }

  @Test func aNewKeyCommitsWithTheChangeAndItsJobsAndReplaysLater() async throws {
    try await withJobsPool { pool in
      try await pool.query(
        "CREATE TABLE charges (id serial PRIMARY KEY, amount int8, code text UNIQUE)")
      let keys = IdempotencyKeys(pool: pool, clock: ManualClock(Self.start))
      let request = RequestFingerprint(method: "/billing.v1.Billing/Charge", request: [1, 2])
      let job = NewJob(kind: "receipt", payload: [7], queue: "billing")
      let rows = try await keys.performInOneStatement(
        scope: "charge", key: "k-1", request: request, response: Array("charge-1".utf8),
        jobs: [job], along: Self.charge(100, code: "a"))
      #expect(try rows?.single().decode(Int32.self, at: 0) == 1)
      #expect(try await Self.count("charges", pool) == 1)
      #expect(try await Self.count("wirebank_jobs", pool) == 1)
      // The stored response replays; the operation does not run again.
      let replay = try await keys.perform(scope: "charge", key: "k-1", request: request) { _ in
        Issue.record("a replay ran the operation")
        return []
      }
      #expect(replay.replayed && replay.body == Array("charge-1".utf8))
      // The same key for another request is refused.
      let other = RequestFingerprint(method: "/billing.v1.Billing/Charge", request: [3])
      let error = await #expect(throws: IdempotencyError.self) {
        try await keys.perform(scope: "charge", key: "k-1", request: other) { _ in [] }
      }
      #expect(error?.code == .requestMismatch)
    }
  }

  @Test func aStoredKeyOrNoChangeCommitsNothing() async throws {
    try await withJobsPool { pool in
      try await pool.query(
        "CREATE TABLE charges (id serial PRIMARY KEY, amount int8, code text UNIQUE)")
      let keys = IdempotencyKeys(pool: pool, clock: ManualClock(Self.start))
      let request = RequestFingerprint(method: "/m", request: [1])
      _ = try await keys.perform(scope: "s", key: "taken", request: request) { _ in [9] }
      let job = NewJob(kind: "receipt", payload: [7], queue: "billing")
      // The key is stored: the charge the statement inserted is rolled back with its job.
      let taken = try await keys.performInOneStatement(
        scope: "s", key: "taken", request: request, response: [1], jobs: [job],
        along: Self.charge(100, code: "a"))
      #expect(taken == nil)
      #expect(try await Self.count("charges", pool) == 0)
      #expect(try await Self.count("wirebank_jobs", pool) == 0)

      // The statement changes nothing: no key is stored, so `perform` can still use it.
      try await pool.query("INSERT INTO charges (amount, code) VALUES (1, 'b')")
      let unchanged = try await keys.performInOneStatement(
        scope: "s", key: "fresh", request: request, response: [2], jobs: [job],
        along: Self.charge(100, code: "b"))
      #expect(unchanged == nil)
      #expect(try await Self.count("wirebank_idempotency_keys", pool) == 1)
      #expect(try await Self.count("wirebank_jobs", pool) == 0)

      let error = await #expect(throws: IdempotencyError.self) {
        try await keys.performInOneStatement(
          scope: "s", key: "", request: request, response: [], jobs: [],
          along: Self.charge(1, code: "c"))
      }
      #expect(error?.code == .invalidKey)
    }
  }
}

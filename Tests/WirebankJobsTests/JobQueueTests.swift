import Foundation
import Testing
import WirebankJobs
import WirebankPostgres

@Suite struct JobQueueTests {
  @Test func theTablesRulesHoldAsDomains() async throws {
    try await withJobsPool { pool in
      let breaking: [PostgresQuery] = [
        """
        INSERT INTO wirebank_jobs (queue, kind, payload, max_attempts, state)
        VALUES ('q', 'k', '', 1, 'bogus')
        """,
        "INSERT INTO wirebank_jobs (queue, kind, payload, max_attempts) VALUES ('q', 'k', '', 0)",
        """
        INSERT INTO wirebank_idempotency_keys (scope, key, fingerprint, state, created_at)
        VALUES ('s', 'k', '', 'bogus', now())
        """,
      ]
      for statement in breaking {
        let error = await #expect(throws: PostgresError.self) { try await pool.query(statement) }
        #expect(error?.code == .checkViolation, "\(statement.sql)")
      }
      let stored = try await pool.query("SELECT count(*) FROM wirebank_jobs").single()
      #expect(try stored.decode(Int64.self) == 0)
    }
  }

  @Test func enqueueCommitsOrRollsBackWithTheBusinessChange() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE orders (id int8 PRIMARY KEY)")
      let id = try await pool.withTransaction { tx in
        try await tx.query("INSERT INTO orders VALUES (1)")
        return try await JobQueue.enqueue(NewJob(kind: "ship", payload: [1]), in: tx)
      }
      let status = try await JobQueue.status(of: try #require(id), pool: pool)
      #expect(status == JobQueue.Status(state: .pending, attempts: 0, lastError: nil))
      struct Abort: Error {}
      await #expect(throws: Abort.self) {
        try await pool.withTransaction { tx in
          try await tx.query("INSERT INTO orders VALUES (2)")
          try await JobQueue.enqueue(NewJob(kind: "ship", payload: [2]), in: tx)
          throw Abort()
        }
      }
      #expect(try await jobCount(pool, state: .pending) == 1)
    }
  }

  @Test func uniqueKeysDeduplicate() async throws {
    try await withJobsPool { pool in
      let first = try await pool.withTransaction {
        try await JobQueue.enqueue(NewJob(kind: "mail", uniqueKey: "welcome:42"), in: $0)
      }
      let second = try await pool.withTransaction {
        try await JobQueue.enqueue(NewJob(kind: "mail", uniqueKey: "welcome:42"), in: $0)
      }
      #expect(first != nil && second == nil)
      let batch = [
        NewJob(kind: "mail", uniqueKey: "welcome:42"),
        NewJob(kind: "mail", uniqueKey: "welcome:43"),
        NewJob(kind: "mail"), NewJob(kind: "mail"),
      ]
      let added = try await pool.withTransaction { try await JobQueue.enqueue(batch, in: $0) }
      #expect(added == 3)
      #expect(try await jobCount(pool, state: .pending) == 4)
    }
  }

  @Test func hostileStringsInEveryJobFieldStayData() async throws {
    try await withJobsPool { pool in
      let attack = "'); DROP TABLE wirebank_jobs; --"
      let job = NewJob(
        kind: attack + "k", payload: Array(attack.utf8), queue: attack + "q", uniqueKey: attack)
      let id = try #require(
        try await pool.withTransaction { try await JobQueue.enqueue(job, in: $0) })
      let row = try await pool.query(
        "SELECT kind, queue, unique_key, payload FROM wirebank_jobs WHERE id = \(id)"
      ).single()
      let (kind, queue, key, payload) = try row.decode((String, String, String, [UInt8]).self)
      #expect(kind == job.kind && queue == job.queue && key == attack && payload == job.payload)
      let batch = try await pool.withTransaction {
        try await JobQueue.enqueue(
          [NewJob(kind: attack, queue: attack, uniqueKey: attack + "2")], in: $0)
      }
      #expect(batch == 1)
      // Inbox and idempotency keys take hostile ids as data too.
      let first = try await pool.withTransaction {
        try await Inbox.receive(messageID: attack, from: attack, in: $0)
      }
      let again = try await pool.withTransaction {
        try await Inbox.receive(messageID: attack, from: attack, in: $0)
      }
      #expect(first && !again)
      let keys = IdempotencyKeys(pool: pool)
      let response = try await keys.perform(
        scope: attack, key: attack, request: RequestFingerprint(canonicalBytes: attack.utf8)
      ) { _ in Array(attack.utf8) }
      #expect(response.body == Array(attack.utf8))
      #expect(
        try await pool.query("SELECT count(*) FROM wirebank_jobs").single().decode(Int64.self) == 2)
    }
  }

  @Test func periodicJobsAreAlignedAndKeyedByPeriod() {
    let job = PeriodicJob(kind: "payout", every: .seconds(86_400), offset: .seconds(3 * 3600))
    let date = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14 22:13:20 UTC
    let start = job.periodStart(containing: date)
    #expect(start == Date(timeIntervalSince1970: 1_699_930_800))  // 2023-11-14 03:00 UTC
    #expect(job.periodStart(containing: start) == start)
    #expect(
      job.periodStart(containing: start.addingTimeInterval(-1)) == start.addingTimeInterval(-86_400)
    )
    #expect(job.uniqueKey(forPeriodStarting: start) == "periodic:payout:1699930800")
  }
}

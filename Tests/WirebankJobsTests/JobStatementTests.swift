import Foundation
import Testing
import WirebankPostgres

@testable import WirebankJobs

/// A job's work, its follow-up jobs and its completion in one statement.
@Suite struct JobStatementTests {
  static func claimOne(_ pool: PostgresPool, lease: Duration = .seconds(60)) async throws -> Job {
    try #require(try await claimJobs(1, pool, lease: lease).first)
  }

  static func context(_ job: Job, _ pool: PostgresPool) -> (JobContext, CompletionFlag) {
    let flag = CompletionFlag()
    return (handContext(job, pool, completion: flag), flag)
  }

  @Test func workFollowUpsAndCompletionCommitTogether() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
      let job = try await Self.claimOne(pool)
      let (context, flag) = Self.context(job, pool)
      let returned = try await context.complete(
        with: "INSERT INTO effects VALUES (\(job.id)) RETURNING id",
        enqueueing: [NewJob(kind: "next", uniqueKey: "next:\(job.id)")])
      let completed = flag.isCompleted.load(ordering: .relaxed)
      #expect(returned == 1 && completed)
      #expect(try await JobQueue.status(of: job.id, pool: pool)?.state == .succeeded)
      let next = try await pool.query("SELECT count(*) FROM wirebank_jobs WHERE kind = 'next'")
      #expect(try next.single().decode(Int64.self) == 1)

      // A statement that returns nothing completes the job but enqueues no follow-up.
      try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
      let second = try await Self.claimOne(pool)
      let none = try await Self.context(second, pool).0.complete(
        with: "DELETE FROM effects WHERE id = -1 RETURNING id",
        enqueueing: [NewJob(kind: "next", uniqueKey: "next:\(second.id)")])
      #expect(none == 0)
      #expect(try await JobQueue.status(of: second.id, pool: pool)?.state == .succeeded)
      #expect(try await jobCount(pool, state: .pending) == 1)
    }
  }

  @Test func onlyIfReturningLeavesTheJobRunningWhenNothingChanged() async throws {
    try await withJobsPool { pool in
      try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
      let job = try await Self.claimOne(pool)
      let (context, flag) = Self.context(job, pool)
      let result = try await context.complete(
        with: "SELECT 1 WHERE false", onlyIfReturning: true)
      let completed = flag.isCompleted.load(ordering: .relaxed)
      #expect(result == nil && !completed)
      #expect(try await JobQueue.status(of: job.id, pool: pool)?.state == .running)
    }
  }

  @Test func aLostLeaseRollsTheWorkBack() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
      let stale = try await Self.claimOne(pool, lease: .milliseconds(1))
      try await eventually("another worker takes the job over") {
        let claimed = try await JobClaims.claim(
          queue: "default", kinds: ["k"], limit: 1, lease: .seconds(60), worker: "b", pool: pool)
        return !claimed.jobs.isEmpty
      }
      let (context, flag) = Self.context(stale, pool)
      await #expect(throws: JobError.self) {
        try await context.complete(
          with: "INSERT INTO effects VALUES (1) RETURNING id",
          enqueueing: [NewJob(kind: "next")])
      }
      let completed = flag.isCompleted.load(ordering: .relaxed)
      #expect(!completed)
      #expect(try await pool.query("SELECT count(*) FROM effects").single().decode(Int64.self) == 0)
      #expect(try await jobCount(pool, state: .pending) == 0)
      #expect(try await JobQueue.status(of: stale.id, pool: pool)?.state == .running)
    }
  }

  @Test func enqueueAlongAStatementOnlyWhenItReturnsRows() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE orders (id int8 PRIMARY KEY)")
      let insert: (Int64) -> PostgresQuery = { id in
        "INSERT INTO orders VALUES (\(id)) ON CONFLICT DO NOTHING RETURNING id"
      }
      let jobs = [NewJob(kind: "ship", uniqueKey: "ship:1")]
      let first = try await JobQueue.enqueue(jobs, along: insert(1), pool: pool)
      #expect(try first.single().decode(Int64.self) == 1)
      let again = try await JobQueue.enqueue(
        [NewJob(kind: "ship", uniqueKey: "ship:1b")], along: insert(1), pool: pool)
      #expect(again.isEmpty)
      #expect(try await jobCount(pool, state: .pending) == 1)
    }
  }
}

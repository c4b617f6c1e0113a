import Testing
import WirebankPostgres

@testable import WirebankJobs

/// A worker whose lease ran out may not record anything for the job once another worker has it.
@Suite struct JobFencingTests {
  @Test func aStaleAttemptCannotCompleteFailOrReleaseTheJob() async throws {
    try await withJobsPool { pool in
      let id = try #require(
        try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) })
      let first = try await JobClaims.claim(
        queue: "default", kinds: ["k"], limit: 1, lease: .milliseconds(1), worker: "a", pool: pool)
      #expect(first.jobs.map(\.attempt) == [1])
      var second = JobClaims.Claimed()
      try await eventually("the lease expires and the job is claimed again") {
        second = try await JobClaims.claim(
          queue: "default", kinds: ["k"], limit: 1, lease: .seconds(30), worker: "b", pool: pool)
        return !second.jobs.isEmpty
      }
      #expect(second.jobs.map(\.attempt) == [2] && second.rescued == 1)

      // Worker a's late outcomes all miss: the attempt number fences them out.
      let stale = try await pool.withTransaction {
        try await JobClaims.complete(id: id, attempt: 1, in: $0)
      }
      #expect(!stale)
      try await JobClaims.complete([(id, 1)], pool: pool)
      let failed = try await JobClaims.fail(
        id: id, attempt: 1, error: "late", retryIn: .zero, pool: pool)
      #expect(failed == nil)
      try await JobClaims.release(id: id, attempt: 1, pool: pool)
      #expect(try await JobQueue.status(of: id, pool: pool)?.state == .running)

      // Worker b's own completion counts.
      let current = try await pool.withTransaction {
        try await JobClaims.complete(id: id, attempt: 2, in: $0)
      }
      #expect(current)
      #expect(
        try await JobQueue.status(of: id, pool: pool)
          == JobQueue.Status(
            state: .succeeded, attempts: 2,
            lastError: "lease expired: the worker of attempt 1 was lost"))
    }
  }

  @Test func aLeaseThatExpiresOnTheLastAttemptMakesTheJobDead() async throws {
    try await withJobsPool { pool in
      let id = try #require(
        try await pool.withTransaction {
          try await JobQueue.enqueue(NewJob(kind: "k", maxAttempts: 1), in: $0)
        })
      _ = try await JobClaims.claim(
        queue: "default", kinds: ["k"], limit: 1, lease: .milliseconds(1), worker: "a", pool: pool)
      try await eventually("the expired job is declared dead") {
        let claimed = try await JobClaims.claim(
          queue: "default", kinds: ["k"], limit: 1, lease: .seconds(30), worker: "b", pool: pool)
        #expect(claimed.jobs.isEmpty)
        return claimed.declaredDead == 1
      }
      let status = try #require(try await JobQueue.status(of: id, pool: pool))
      #expect(status.state == .dead && status.attempts == 1)
    }
  }
}

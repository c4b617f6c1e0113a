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
      try await JobClaims.release(id: id, attempt: 1, started: true, pool: pool)
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

  /// A job's first start says nothing ran before; after a failure, an attempt its stopping
  /// worker gave back (which does not count as an attempt), or a lost worker, it says something
  /// may have. Giving back a job whose handler never started leaves it as it was.
  @Test func anAttemptKnowsWhetherAnEarlierOneMayHaveRun() async throws {
    try await withJobsPool { pool in
      let id = try #require(
        try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) })
      func claim(lease: Duration = .seconds(30)) async throws -> Job {
        try #require(
          try await JobClaims.claim(
            queue: "default", kinds: ["k"], limit: 1, lease: lease, worker: "a", pool: pool
          ).jobs.first)
      }
      var job = try await claim()
      #expect(job.attempt == 1 && !job.mayHaveRunBefore)
      try await JobClaims.release(id: id, attempt: 1, started: false, pool: pool)
      job = try await claim()
      #expect(job.attempt == 1 && !job.mayHaveRunBefore)
      try await JobClaims.release(id: id, attempt: 1, started: true, pool: pool)
      job = try await claim(lease: .milliseconds(1))
      #expect(job.attempt == 1 && job.mayHaveRunBefore)
      var rescued: Job?
      try await eventually("the lease expires and the job is claimed again") {
        rescued = try await JobClaims.claim(
          queue: "default", kinds: ["k"], limit: 1, lease: .seconds(30), worker: "b", pool: pool
        ).jobs.first
        return rescued != nil
      }
      #expect(rescued?.attempt == 2 && rescued?.mayHaveRunBefore == true)

      let fresh = try #require(
        try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) })
      job = try await claim()
      #expect(job.id == fresh && !job.mayHaveRunBefore)
      _ = try await JobClaims.fail(
        id: fresh, attempt: 1, error: "boom", retryIn: .zero, pool: pool)
      job = try await claim()
      #expect(job.id == fresh && job.attempt == 2 && job.mayHaveRunBefore)
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

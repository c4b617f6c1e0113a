import Foundation
import Synchronization
import Testing
import WirebankPostgres

@testable import WirebankJobs

/// The claim loop's round trips: one statement per claim, no claim after a job finishes in a
/// worker with room, one claim for a burst of wake-ups, and claims spaced when asked.
@Suite struct JobRoundTripTests {
  @Test func aClaimTellsWhenTheNextJobLeftBecomesDue() async throws {
    try await withJobsPool { pool in
      let began = ContinuousClock.now
      let later = Date().addingTimeInterval(30)
      try await pool.withTransaction { tx in
        try await JobQueue.enqueue([NewJob(kind: "k"), NewJob(kind: "k", runAt: later)], in: tx)
      }
      let first = try await JobClaims.claim(
        queue: "default", kinds: ["k"], limit: 1, lease: .seconds(60), worker: "a", pool: pool)
      #expect(first.jobs.count == 1)
      // The job just claimed is left out: the next one is the delayed job, about 30 s away.
      let next = try #require(first.nextDue)
      let taken = ContinuousClock.now - began
      #expect(next >= .seconds(29) - taken && next <= .seconds(30), "next due in \(next)")
      let second = try await JobClaims.claim(
        queue: "default", kinds: ["k"], limit: 1, lease: .seconds(60), worker: "a", pool: pool)
      #expect(second.jobs.isEmpty && second.declaredDead == 0)
      #expect(try #require(second.nextDue) <= .seconds(30))
      let empty = try await JobClaims.claim(
        queue: "default", kinds: ["other"], limit: 1, lease: .seconds(60), worker: "a", pool: pool)
      #expect(empty.jobs.isEmpty && empty.nextDue == nil)
    }
  }

  @Test func aJobThatFinishesInAWorkerWithRoomCausesNoClaim() async throws {
    try await withIdleWorker { pool, worker in
      let before = worker.counters.claims.load(ordering: .relaxed)
      for round in 1...5 {
        try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
        try await eventually("job \(round) succeeded and the loop is idle") {
          try await jobCount(pool, state: .succeeded) == Int64(round) && worker.wake.isWaiting
        }
      }
      // One claim per NOTIFY; none after a job finished.
      #expect(worker.counters.claims.load(ordering: .relaxed) - before == 5)
    }
  }

  @Test func claimsStartASpacingApartAndTakeWhatArrivedMeanwhile() async throws {
    let started = Mutex<[ContinuousClock.Instant]>([])
    try await withIdleWorker(
      claimSpacing: .seconds(1),
      handler: { _ in
        started.withLock { $0.append(.now) }
      }
    ) { pool, worker in
      // The claim that takes the first job starts after it was enqueued; the next claim starts
      // a second after that one, so the second job cannot start sooner.
      let beforeFirst = ContinuousClock.now
      try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
      try await eventually("the first job ran") { started.withLock { $0.count } == 1 }
      try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
      try await eventually("the second job ran") { started.withLock { $0.count } == 2 }
      let second = started.withLock { $0[1] }
      #expect(second - beforeFirst >= .seconds(1), "ran \(second - beforeFirst) after")

      // Ten jobs in ten transactions (ten NOTIFYs) are taken by a claim or two per second.
      try await eventually("the loop is idle") { worker.wake.isWaiting }
      let claims = worker.counters.claims.load(ordering: .relaxed)
      let burstStart = ContinuousClock.now
      for _ in 0..<10 {
        try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
      }
      let seconds = Int(((ContinuousClock.now - burstStart) / .seconds(1)).rounded(.up))
      try await eventually("the ten jobs ran and the loop is idle") {
        started.withLock { $0.count } == 12 && worker.wake.isWaiting
      }
      let burstClaims = worker.counters.claims.load(ordering: .relaxed) - claims
      // One claim per notification would be ten; spaced claims take a few more on a slow run.
      #expect(burstClaims <= 3 + seconds, "\(burstClaims) claims for ten jobs")
    }
  }

  @Test func aBurstOfWakeUpsDuringAClaimCausesOneMoreClaim() async throws {
    try await withIdleWorker { pool, worker in
      let claims = worker.counters.claims.load(ordering: .relaxed)
      let notifications = worker.counters.notifications.load(ordering: .relaxed)
      // The lock holds the next claim in flight while the notifications arrive.
      try await pool.withTransaction { tx in
        try await tx.query("LOCK TABLE wirebank_jobs IN ACCESS EXCLUSIVE MODE")
        try await pool.query("SELECT pg_notify('wirebank_jobs', 'default')")
        try await eventually("a claim is in flight") {
          worker.counters.claims.load(ordering: .relaxed) == claims + 1
        }
        for _ in 0..<30 {
          try await pool.query("SELECT pg_notify('wirebank_jobs', 'default')")
        }
        try await eventually("every notification reached the worker") {
          worker.counters.notifications.load(ordering: .relaxed) == notifications + 31
        }
      }
      try await eventually("the loop is idle again") {
        worker.counters.claims.load(ordering: .relaxed) >= claims + 2 && worker.wake.isWaiting
      }
      #expect(worker.counters.claims.load(ordering: .relaxed) == claims + 2)
    }
  }

  @Test func aFullClaimThatTookEveryDueJobIsTheOnlyClaim() async throws {
    try await withJobsPool { pool in
      let started = Tally()
      // Several handlers wait at once: a flag, which lets every waiter go.
      let gate = ReadinessFlag()
      var configuration = JobWorkerTests.configuration(concurrency: 8, sweep: .seconds(60))
      configuration.claimBatchSize = 4
      let worker = JobWorker(
        pool: pool, configuration: configuration,
        handlers: [
          "k": { _ in
            started.add()
            await gate.wait()
          }
        ],
        logger: JobsTestDatabase.logger)
      try await whileRunning([worker]) {
        // Before the worker stops, also when an expectation throws.
        defer { gate.raise() }
        try await eventually("the claim loop is idle") { worker.isIdle }
        let claims = worker.counters.claims.load(ordering: .relaxed)
        // Exactly a batch, in one commit (one notification); the worker keeps room for more.
        try await pool.withTransaction { transaction in
          try await JobQueue.enqueue((0..<4).map { _ in NewJob(kind: "k") }, in: transaction)
        }
        try await eventually("the four jobs started and the loop is idle") {
          started.count == 4 && worker.wake.isWaiting
        }
        // The claim saw that nothing it left was due: no second claim to find that out, and
        // the worker no longer counts on a backlog.
        #expect(worker.counters.claims.load(ordering: .relaxed) == claims + 1)
        let backlogged = worker.backlog.load(ordering: .relaxed)
        #expect(!backlogged)
      }
    }
  }

  @Test func completionsWithinTheDelayShareAStatementAndAStopWritesThem() async throws {
    try await withJobsPool { pool in
      let ran = Tally()
      var configuration = JobWorkerTests.configuration(sweep: .seconds(60))
      // Far longer than the test: only the stop can write these completions.
      configuration.completionDelay = .seconds(600)
      let worker = JobWorker(
        pool: pool, configuration: configuration, handlers: ["k": { _ in ran.add() }],
        logger: JobsTestDatabase.logger)
      try await whileRunning([worker]) {
        try await pool.withTransaction { transaction in
          try await JobQueue.enqueue((0..<5).map { _ in NewJob(kind: "k") }, in: transaction)
        }
        try await eventually("the five jobs ran") { ran.count == 5 }
        #expect(try await jobCount(pool, state: .running) == 5)
      }
      #expect(try await jobCount(pool, state: .succeeded) == 5)
      #expect(worker.batcher.statements.load(ordering: .relaxed) == 1)
      #expect(ran.count == 5)
    }
  }

  @Test func aFailedCompletionIsWrittenAgainWithoutFurtherCompletions() async throws {
    try await withJobsPool { pool in
      _ = try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
      let job = try #require(
        try await JobClaims.claim(
          queue: "default", kinds: ["k"], limit: 1, lease: .seconds(60), worker: "w", pool: pool
        ).jobs.first)
      let batcher = CompletionBatcher(pool: pool, logger: JobsTestDatabase.logger)
      let flushing = Task { await batcher.run() }
      defer { flushing.cancel() }
      // The first write fails: the table is not where the statement looks for it.
      try await pool.query("ALTER TABLE wirebank_jobs RENAME TO wirebank_jobs_away")
      batcher.add(id: job.id, attempt: Int32(job.attempt))
      try await eventually("the write failed") {
        batcher.failedWrites.load(ordering: .acquiring) >= 1
      }
      try await pool.query("ALTER TABLE wirebank_jobs_away RENAME TO wirebank_jobs")
      // No completion follows to signal the batcher: it writes again by itself.
      try await eventually(timeout: .seconds(10), "the job is marked succeeded") {
        try await jobCount(pool, state: .succeeded) == 1
      }
    }
  }

  @Test func aFailedJobWakesTheLoopForItsRetry() async throws {
    try await withJobsPool { pool in
      let calls = Tally()
      let worker = JobWorker(
        pool: pool, configuration: JobWorkerTests.configuration(sweep: .seconds(60)),
        handlers: [
          "k": { _ in
            calls.add()
            struct Flaky: Error {}
            if calls.count < 3 { throw Flaky() }
          }
        ], logger: JobsTestDatabase.logger)
      try await whileRunning([worker]) {
        try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "k"), in: $0) }
        // Retries are 10–40 ms apart and the sweep is a minute away.
        try await eventually(timeout: .seconds(30), "the job succeeded on its third attempt") {
          try await jobCount(pool, state: .succeeded) == 1
        }
      }
      #expect(calls.count == 3)
    }
  }
}

/// Runs `body` with a worker of jobs of kind `k` (which do nothing) once its claim loop is idle;
/// its sweep is a minute away, so only the test wakes it.
func withIdleWorker(
  claimSpacing: Duration = .zero, handler: @escaping JobHandler = { _ in },
  _ body: (PostgresPool, JobWorker) async throws -> Void
) async throws {
  try await withJobsPool { pool in
    var configuration = JobWorkerTests.configuration(sweep: .seconds(60))
    configuration.claimSpacing = claimSpacing
    let worker = JobWorker(
      pool: pool, configuration: configuration, handlers: ["k": handler],
      logger: JobsTestDatabase.logger)
    try await whileRunning([worker]) {
      try await eventually("the claim loop is idle") { worker.isIdle }
      try await body(pool, worker)
    }
  }
}

extension JobWorker {
  /// Started, swept once and waiting: no wake-up from the start is still to come.
  var isIdle: Bool {
    counters.sweeps.load(ordering: .relaxed) >= 1 && counters.claims.load(ordering: .relaxed) >= 1
      && wake.isWaiting
  }
}

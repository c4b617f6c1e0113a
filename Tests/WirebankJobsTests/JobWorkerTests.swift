import Foundation
import Synchronization
import Testing
import WirebankJobs
import WirebankPostgres

@Suite struct JobWorkerTests {
  static func configuration(concurrency: Int = 8, sweep: Duration = .seconds(30))
    -> JobWorker.Configuration
  {
    var configuration = JobWorker.Configuration()
    configuration.concurrency = concurrency
    configuration.sweepInterval = sweep
    configuration.retryBackoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(40))
    return configuration
  }

  @Test func twoWorkersNeverRunOneJobAtOnceAndEachJobRunsOnce() async throws {
    try await withJobsPool(maxConnections: 12) { pool in
      try await pool.query("CREATE TABLE effects (job_id int8 PRIMARY KEY)")
      let ledger = Ledger()
      let perWorker = Mutex([0, 0])
      let workers = (0..<2).map { index in
        JobWorker(
          pool: pool, configuration: Self.configuration(),
          handlers: [
            "effect": { context in
              ledger.begin(context.job.id)
              defer { ledger.end(context.job.id) }
              perWorker.withLock { $0[index] += 1 }
              try await context.complete { tx in
                try await tx.query("INSERT INTO effects VALUES (\(context.job.id))")
              }
            }
          ], logger: JobsTestDatabase.logger)
      }
      let total = 300
      try await whileRunning(workers) {
        for chunk in stride(from: 0, to: total, by: 50) {
          try await pool.withTransaction { tx in
            try await JobQueue.enqueue(
              (chunk..<(chunk + 50)).map {
                NewJob(kind: "effect", payload: [UInt8(truncatingIfNeeded: $0)])
              },
              in: tx)
          }
        }
        try await eventually("all jobs succeeded") {
          try await jobCount(pool, state: .succeeded) == Int64(total)
        }
      }
      #expect(ledger.overlaps == 0)
      #expect(ledger.runs.count == total && ledger.totalRuns == total)
      #expect(
        try await pool.query("SELECT count(*) FROM effects").single().decode(Int64.self)
          == Int64(total))
      // Both workers competed for the same jobs.
      #expect(perWorker.withLock { $0.allSatisfy { $0 > 0 } })
    }
  }

  @Test func failuresBackOffAndEndDeadWithTheLastError() async throws {
    try await withJobsPool { pool in
      let calls = Mutex<[Int64: Int]>([:])
      let handler: JobHandler = { context in
        let call = calls.withLock { calls in
          calls[context.job.id, default: 0] += 1
          return calls[context.job.id, default: 0]
        }
        if context.job.kind == "flaky" && call >= 3 { return }
        struct ProviderDown: Error, CustomStringConvertible {
          var attempt: Int
          var description: String { "provider unavailable (attempt \(attempt))" }
        }
        throw ProviderDown(attempt: context.job.attempt)
      }
      let worker = JobWorker(
        pool: pool, configuration: Self.configuration(),
        handlers: ["flaky": handler, "broken": handler], logger: JobsTestDatabase.logger)
      let (flaky, broken) = try await whileRunning([worker]) {
        let flaky = try await pool.withTransaction {
          try await JobQueue.enqueue(NewJob(kind: "flaky", maxAttempts: 5), in: $0)
        }
        let broken = try await pool.withTransaction {
          try await JobQueue.enqueue(NewJob(kind: "broken", maxAttempts: 3), in: $0)
        }
        try await eventually("both jobs settled") {
          let succeeded = try await jobCount(pool, state: .succeeded)
          let dead = try await jobCount(pool, state: .dead)
          return succeeded == 1 && dead == 1
        }
        return (try #require(flaky), try #require(broken))
      }
      let flakyStatus = try #require(try await JobQueue.status(of: flaky, pool: pool))
      #expect(flakyStatus.state == .succeeded && flakyStatus.attempts == 3)
      let brokenStatus = try #require(try await JobQueue.status(of: broken, pool: pool))
      #expect(brokenStatus.state == .dead && brokenStatus.attempts == 3)
      #expect(brokenStatus.lastError == "provider unavailable (attempt 3)")
    }
  }

  @Test func notifyWakesAnIdleWorkerBeforeItsSweep() async throws {
    try await withJobsPool { pool in
      let started = Mutex<[Int64: ContinuousClock.Instant]>([:])
      let worker = JobWorker(
        pool: pool, configuration: Self.configuration(sweep: .seconds(60)),
        handlers: ["ping": { context in started.withLock { $0[context.job.id] = .now } }],
        logger: JobsTestDatabase.logger)
      var latencies: [Duration] = []
      try await whileRunning([worker]) {
        for _ in 0..<25 {
          let before = ContinuousClock.now
          let id = try #require(
            try await pool.withTransaction {
              try await JobQueue.enqueue(NewJob(kind: "ping"), in: $0)
            })
          try await eventually(timeout: .seconds(30), "job \(id) started") {
            started.withLock { $0[id] != nil }
          }
          latencies.append(try #require(started.withLock { $0[id] }) - before)
        }
      }
      // The sweep is 60 s away and each job started within 30 s: only NOTIFY can have woken
      // the worker. The latency is a figure for the log, not a bound (benchmarks measure speed).
      let sorted = latencies.sorted()
      print("enqueue→start latency: p50 \(sorted[sorted.count / 2]), max \(sorted.last ?? .zero)")
    }
  }

  @Test func stoppingReleasesRunningJobsWithoutUsingAnAttempt() async throws {
    try await withJobsPool { pool in
      let entered = Mutex(false)
      let worker = JobWorker(
        pool: pool, configuration: Self.configuration(),
        handlers: [
          "slow": { _ in
            entered.withLock { $0 = true }
            try await Task.sleep(for: .seconds(3600))
          }
        ], logger: JobsTestDatabase.logger)
      let id = try #require(
        try await pool.withTransaction { try await JobQueue.enqueue(NewJob(kind: "slow"), in: $0) })
      let running = Task { await worker.run() }
      try await eventually("handler entered") { entered.withLock { $0 } }
      running.cancel()
      await running.value
      // Not counted as an attempt, but noted: the next one may find the handler's effects.
      let status = try await JobQueue.status(of: id, pool: pool)
      #expect(
        status
          == JobQueue.Status(
            state: .pending, attempts: 0,
            lastError: "interrupted: the worker stopped during attempt 1"))
    }
  }

  @Test func periodicJobsRunOncePerPeriodAcrossReplicas() async throws {
    try await withJobsPool { pool in
      let clock = ManualClock(Date(timeIntervalSince1970: 1_700_000_000))
      let runs = Mutex<[String]>([])
      let periodic = [PeriodicJob(kind: "daily-payout", every: .seconds(86_400))]
      let replicas = (0..<3).map { _ in
        JobWorker(
          pool: pool, configuration: Self.configuration(),
          handlers: [
            "daily-payout": { context in runs.withLock { $0.append(context.job.uniqueKey ?? "") } }
          ],
          periodicJobs: periodic, clock: clock, logger: JobsTestDatabase.logger)
      }
      func enqueueFromEveryReplica() async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
          for replica in replicas { group.addTask { try await replica.enqueueDuePeriodicJobs() } }
          return try await group.reduce(0, +)
        }
      }
      try await whileRunning(replicas) {
        // The replicas' sweeps and these calls race to enqueue the first day: one job results.
        #expect(try await enqueueFromEveryReplica() <= 1)
        try await eventually("first period ran") { runs.withLock { $0.count } == 1 }
        clock.advance(by: 86_400)
        #expect(try await enqueueFromEveryReplica() == 1)
        try await eventually("second period ran") { runs.withLock { $0.count } == 2 }
      }
      let enqueued = try await pool.query(
        "SELECT count(*) FROM wirebank_jobs WHERE unique_key LIKE 'periodic:%'")
      #expect(try enqueued.single().decode(Int64.self) == 2)
      #expect(
        runs.withLock { $0 } == [
          "periodic:daily-payout:1699920000", "periodic:daily-payout:1700006400",
        ])
    }
  }
}

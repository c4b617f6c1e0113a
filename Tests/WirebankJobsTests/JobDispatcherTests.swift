import Foundation
import Synchronization
import Testing
import WirebankPostgres

@testable import WirebankJobs

/// Jobs a process enqueues for its own worker start there at once: inserted running under the
/// worker's lease, with no claim and no notification; otherwise they are enqueued as usual.
@Suite struct JobDispatcherTests {
  /// A worker of `concurrency` that runs `handler` for kind "effect", served by `dispatcher`.
  static func worker(
    _ pool: PostgresPool, _ dispatcher: JobDispatcher, concurrency: Int,
    claimSpacing: Duration = .zero, retryBackoff: Backoff? = nil, _ handler: @escaping JobHandler
  ) -> JobWorker {
    var configuration = JobWorker.Configuration()
    configuration.concurrency = concurrency
    configuration.claimSpacing = claimSpacing
    if let retryBackoff { configuration.retryBackoff = retryBackoff }
    configuration.sweepInterval = .seconds(30)
    return JobWorker(
      pool: pool, configuration: configuration, handlers: ["effect": handler],
      dispatcher: dispatcher, logger: JobsTestDatabase.logger)
  }

  private static func enqueue(
    _ kind: String, _ number: Int, pool: PostgresPool, dispatcher: JobDispatcher
  ) async throws -> Int64 {
    try await JobQueue.enqueue(
      [NewJob(kind: kind, payload: [UInt8(number)])],
      along: "INSERT INTO effects VALUES (\(Int64(number))) RETURNING id", pool: pool,
      dispatcher: dispatcher
    ).single().decode(Int64.self)
  }

  @Test func aJobForTheLocalWorkerStartsWithoutAClaim() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      let dispatcher = JobDispatcher()
      let started = Tally()
      let gate = Gate()
      let worker = Self.worker(pool, dispatcher, concurrency: 4) { _ in
        started.add()
        await gate.wait()
      }
      try await whileRunning([worker]) {
        // Past the claims of the start (the first sweep's included), the claim loop waits.
        try await eventually("the claim loop to be idle") {
          worker.counters.sweeps.load(ordering: .relaxed) >= 1 && worker.wake.isWaiting
        }
        let claims = worker.counters.claims.load(ordering: .relaxed)
        let notifications = worker.counters.notifications.load(ordering: .relaxed)
        _ = try await Self.enqueue("effect", 1, pool: pool, dispatcher: dispatcher)
        // Committed as running, locked by this worker, attempt 1.
        let row = try await pool.query(
          "SELECT state, attempts, locked_by FROM wirebank_jobs"
        ).single().decode((String, Int32, String?).self)
        #expect(row.0 == "running" && row.1 == 1)
        #expect(row.2 == worker.configuration.workerID)
        try await eventually("the handler started") { started.count == 1 }
        gate.open()
        try await eventually("the job succeeded") {
          try await jobCount(pool, state: .succeeded) == 1
        }
        #expect(worker.counters.claims.load(ordering: .relaxed) == claims)
        #expect(worker.counters.notifications.load(ordering: .relaxed) == notifications)
        // A kind the worker does not run is enqueued as usual, for another worker.
        _ = try await Self.enqueue("elsewhere", 2, pool: pool, dispatcher: dispatcher)
        #expect(try await jobCount(pool, state: .pending) == 1)
      }
    }
  }

  /// A dispatched job starts with the payload built from the rows of the statement that enqueued
  /// it; its retry, claimed from the queue, gets the payload stored.
  @Test func aDispatchedJobStartsWithItsStartingPayloadAndARetryWithTheStoredOne() async throws {
    struct Flaky: Error {}
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      let dispatcher = JobDispatcher()
      let payloads = Mutex<[[UInt8]]>([])
      let backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(10))
      let worker = Self.worker(pool, dispatcher, concurrency: 4, retryBackoff: backoff) {
        context in
        let count = payloads.withLock {
          $0.append(context.job.payload)
          return $0.count
        }
        if count == 1 { throw Flaky() }
      }
      try await whileRunning([worker]) {
        try await eventually("the claim loop to be idle") {
          worker.counters.sweeps.load(ordering: .relaxed) >= 1 && worker.wake.isWaiting
        }
        try await JobQueue.enqueue(
          [NewJob(kind: "effect", payload: [7])],
          along: "INSERT INTO effects VALUES (42) RETURNING id, true AS fresh", whenTrue: "fresh",
          pool: pool, dispatcher: dispatcher,
          startingPayload: { rows in
            (try? rows.single().decode(Int64.self, column: "id")).map { [UInt8($0)] }
          })
        try await eventually("the retry succeeded") {
          try await jobCount(pool, state: .succeeded) == 1
        }
      }
      #expect(payloads.withLock { $0 } == [[42], [7]])
    }
  }

  @Test func aFullWorkerLeavesNewJobsToTheQueue() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      let dispatcher = JobDispatcher()
      let gate = Gate()
      let ledger = Ledger()
      let worker = Self.worker(pool, dispatcher, concurrency: 1) { context in
        ledger.begin(context.job.id)
        defer { ledger.end(context.job.id) }
        await gate.wait()
      }
      try await whileRunning([worker]) {
        _ = try await Self.enqueue("effect", 1, pool: pool, dispatcher: dispatcher)
        // A claim that counted the room before the first job took it may still be on its way,
        // and could take the second job too (`Configuration.concurrency` allows that): let it
        // end first.
        try await eventually("the first job runs and the claim loop is idle") {
          ledger.totalRuns == 1 && worker.wake.isWaiting
        }
        // No room: the second is pending, and claimed once the first finishes.
        _ = try await Self.enqueue("effect", 2, pool: pool, dispatcher: dispatcher)
        #expect(try await jobCount(pool, state: .pending) == 1)
        gate.open()
        try await eventually("both jobs succeeded") {
          try await jobCount(pool, state: .succeeded) == 2
        }
      }
      #expect(ledger.peak == 1 && ledger.overlaps == 0 && ledger.totalRuns == 2)
    }
  }

  @Test func jobsWaitingInTheQueueRunBeforeNewOnes() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      let dispatcher = JobDispatcher()
      let order = Mutex<[UInt8]>([])
      // Claims a second apart: a job enqueued as usual waits in the queue meanwhile. One job at
      // a time, so that a claim that finds both jobs waiting (on a slow machine) still starts
      // them in queue order rather than at once.
      let worker = Self.worker(pool, dispatcher, concurrency: 1, claimSpacing: .seconds(1)) {
        context in order.withLock { $0.append(context.job.payload[0]) }
      }
      try await whileRunning([worker]) {
        try await eventually("the claim loop to be idle") {
          worker.counters.sweeps.load(ordering: .relaxed) >= 1 && worker.wake.isWaiting
        }
        let notifications = worker.counters.notifications.load(ordering: .relaxed)
        try await pool.withTransaction {
          try await JobQueue.enqueue(NewJob(kind: "effect", payload: [1]), in: $0)
        }
        try await eventually("the worker to hear of the waiting job") {
          worker.counters.notifications.load(ordering: .acquiring) > notifications
        }
        // The worker has room, but a job waits in the queue: the new one queues behind it.
        _ = try await Self.enqueue("effect", 2, pool: pool, dispatcher: dispatcher)
        #expect(
          try await pool.query("SELECT state FROM wirebank_jobs WHERE payload = '\\x02'::bytea")
            .single().decode(String.self) == "pending")
        try await eventually("both jobs succeeded") {
          try await jobCount(pool, state: .succeeded) == 2
        }
      }
      #expect(order.withLock { $0 } == [1, 2])
    }
  }

  @Test func aStoppedWorkerTakesNoJobsAndPutsBackWhatItHeld() async throws {
    try await withJobsPool { pool in
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      let dispatcher = JobDispatcher()
      let started = Tally()
      let worker = Self.worker(pool, dispatcher, concurrency: 4) { _ in
        started.add()
        try await Task.sleep(for: .seconds(3600))
      }
      try await whileRunning([worker]) {
        _ = try await Self.enqueue("effect", 1, pool: pool, dispatcher: dispatcher)
        try await eventually("the handler started") { started.count == 1 }
      }
      // The stop cancelled the handler: the job is back in the queue, its attempt not counted.
      try await eventually("the job is pending again") {
        try await jobCount(pool, state: .pending) == 1
      }
      #expect(
        try await pool.query("SELECT attempts FROM wirebank_jobs").single().decode(Int32.self) == 0)
      // With the worker stopped, jobs are enqueued as usual.
      _ = try await Self.enqueue("effect", 2, pool: pool, dispatcher: dispatcher)
      #expect(try await jobCount(pool, state: .pending) == 2)
    }
  }
}

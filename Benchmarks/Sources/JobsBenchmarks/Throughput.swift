import Logging
import Synchronization
import WirebankJobs
import WirebankPostgres

/// One throughput run: `jobs` no-op jobs enqueued in batches with no worker running, then run
/// to completion (claim → handler → marked succeeded) by one `JobWorker`.
struct ThroughputResult {
  var concurrency: Int
  var claimBatchSize: Int
  var jobs: Int
  var batchSize: Int
  /// From the first BEGIN to the last batch's COMMIT.
  var enqueue: Duration
  /// From starting the worker to the last job's `succeeded` being committed.
  var drain: Duration

  var enqueueRate: Double { Double(jobs) / enqueue.seconds }
  var drainRate: Double { Double(jobs) / drain.seconds }
  /// The whole pipeline, enqueue → claim → complete, one phase after the other.
  var combinedRate: Double { Double(jobs) / (enqueue + drain).seconds }
}

enum ThroughputBenchmark {
  static let kind = "noop"

  /// Runs the measurement on `pool`, whose database must hold no jobs yet.
  /// - Throws: `BenchmarkFailure` if a job is lost or runs twice, or `PostgresError`.
  static func run(
    concurrency: Int, claimBatchSize: Int?, jobs: Int, batchSize: Int, pool: PostgresPool,
    logger: Logger
  ) async throws -> ThroughputResult {
    let clock = ContinuousClock()
    let enqueueStart = clock.now
    for first in stride(from: 0, to: jobs, by: batchSize) {
      let batch = (first..<min(jobs, first + batchSize)).map { _ in NewJob(kind: kind) }
      try await pool.withTransaction { try await JobQueue.enqueue(batch, in: $0) }
    }
    let enqueue = clock.now - enqueueStart

    let runs = Tally()
    var configuration = JobWorker.Configuration()
    configuration.concurrency = concurrency
    if let claimBatchSize { configuration.claimBatchSize = claimBatchSize }
    let worker = JobWorker(
      pool: pool, configuration: configuration,
      handlers: [kind: { _ in runs.add() }], logger: logger)
    let drainStart = clock.now
    let deadline = drainStart + .seconds(120)
    let running = Task { await worker.run() }
    defer { running.cancel() }
    // Handler runs are counted in memory, so the database is asked only at the very end, when
    // the worker's last completion batches may still be on their way.
    while runs.count < jobs {
      try check(deadline, runs.count, of: jobs)
      try await Task.sleep(for: .milliseconds(1))
    }
    while try await succeededCount(pool) < jobs {
      try check(deadline, runs.count, of: jobs)
      try await Task.sleep(for: .milliseconds(2))
    }
    let drain = clock.now - drainStart
    running.cancel()
    await running.value
    guard runs.count == jobs else {
      throw BenchmarkFailure("\(runs.count) handler runs for \(jobs) jobs")
    }
    return ThroughputResult(
      concurrency: concurrency, claimBatchSize: configuration.claimBatchSize, jobs: jobs,
      batchSize: batchSize, enqueue: enqueue, drain: drain)
  }

  private static func check(_ deadline: ContinuousClock.Instant, _ ran: Int, of jobs: Int) throws {
    guard ContinuousClock.now < deadline else {
      throw BenchmarkFailure("only \(ran) of \(jobs) jobs ran within 2 minutes")
    }
  }

  static func succeededCount(_ pool: PostgresPool) async throws -> Int {
    Int(
      try await pool.query("SELECT count(*) FROM wirebank_jobs WHERE state = 'succeeded'")
        .single().decode(Int64.self))
  }
}

/// Counts handler runs.
final class Tally: Sendable {
  private let value = Atomic<Int>(0)
  func add() { value.wrappingAdd(1, ordering: .relaxed) }
  var count: Int { value.load(ordering: .relaxed) }
}

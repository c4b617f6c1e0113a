// The embedded cluster, `waitUntil` and `withPool` come from the shared test-support target;
// re-exported so that every file of this suite sees them without importing it.
@_exported import PostgresTestSupport
import Foundation
import Logging
import Synchronization
@testable import WirebankJobs
import WirebankPostgres

/// The jobs tests' databases, on the shared test cluster.
enum JobsTestDatabase {
  /// Quieter than the cluster's: these tests provoke failures that workers log as errors.
  static let logger = TestCluster.makeLogger(label: "wirebank.jobs.tests", quietLevel: .critical)

  /// A pool on a new database with the jobs tables.
  static func freshPool(maxConnections: Int = 8) async throws -> PostgresPool {
    let pool = try await TestCluster.freshPool(
      "jobs", options: .init(maxConnections: maxConnections), logger: logger)
    try await JobsSchema.migrate(pool: pool, logger: logger)
    return pool
  }
}

/// Runs `body` with a pool on a new jobs database and closes it afterwards.
func withJobsPool<Result: Sendable>(
  maxConnections: Int = 8, _ body: (PostgresPool) async throws -> Result
) async throws -> Result {
  try await withPool(try await JobsTestDatabase.freshPool(maxConnections: maxConnections), body)
}

/// Runs `worker` while `body` runs, then stops it.
func whileRunning<Result: Sendable>(
  _ workers: [JobWorker], _ body: () async throws -> Result
) async throws -> Result {
  let tasks = workers.map { worker in Task { await worker.run() } }
  defer { tasks.forEach { $0.cancel() } }
  for worker in workers {
    try await eventually(timeout: .seconds(20), "the worker listens") { worker.isListening }
  }
  let result = try await body()
  for task in tasks {
    task.cancel()
    await task.value
  }
  return result
}

/// This suite's name for a wait that ran out.
typealias Waited = TimedOut

/// A clock the test moves by hand.
final class ManualClock: WallClock {
  private let current: Mutex<Date>
  init(_ start: Date) { current = Mutex(start) }
  func now() -> Date { current.withLock { $0 } }
  func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// Thread-safe bookkeeping of what handlers did.
final class Ledger: Sendable {
  private let state = Mutex<(running: Set<Int64>, runs: [Int64: Int], overlaps: Int, peak: Int)>(
    ([], [:], 0, 0))

  func begin(_ id: Int64) {
    state.withLock { state in
      if !state.running.insert(id).inserted { state.overlaps += 1 }
      state.runs[id, default: 0] += 1
      state.peak = max(state.peak, state.running.count)
    }
  }

  func end(_ id: Int64) { state.withLock { _ = $0.running.remove(id) } }
  var overlaps: Int { state.withLock { $0.overlaps } }
  var runs: [Int64: Int] { state.withLock { $0.runs } }
  var peak: Int { state.withLock { $0.peak } }
  var totalRuns: Int { state.withLock { $0.runs.values.reduce(0, +) } }
}

func jobCount(_ pool: PostgresPool, state: JobState) async throws -> Int64 {
  try await pool.query("SELECT count(*) FROM wirebank_jobs WHERE state = \(state.rawValue)")
    .single().decode(Int64.self)
}

/// Enqueues `count` due jobs of kind `k` on the default queue, in one transaction.
func enqueueJobs(_ count: Int, _ pool: PostgresPool) async throws {
  try await pool.withTransaction { transaction in
    try await JobQueue.enqueue((0..<count).map { _ in NewJob(kind: "k") }, in: transaction)
  }
}

/// Claims up to `limit` due jobs of kind `k` on the default queue, as worker `w`.
func claimJobs(_ limit: Int, _ pool: PostgresPool, lease: Duration = .seconds(60)) async throws
  -> [Job]
{
  try await JobClaims.claim(
    queue: "default", kinds: ["k"], limit: limit, lease: lease, worker: "w", pool: pool
  ).jobs
}

/// A context to run `job` by hand, as a worker runs a handler (without a dispatcher).
func handContext(
  _ job: Job, _ pool: PostgresPool, completion: CompletionFlag = CompletionFlag()
) -> JobContext {
  JobContext(
    job: job, pool: pool, logger: JobsTestDatabase.logger, completion: completion,
    dispatcher: nil)
}

/// The figure `query` reads from a statistics view, after this backend has published its own
/// counts (a backend otherwise publishes them at most once a second).
func publishedStatistic(_ pool: PostgresPool, _ query: PostgresQuery) async throws -> Int64 {
  try await pool.query("SELECT pg_stat_force_next_flush()")
  return try await pool.query(query).single().decode(Int64.self)
}

/// A door tasks wait at until the test opens it.
final class Gate: Sendable {
  private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>(
    (false, []))

  func wait() async {
    await withCheckedContinuation { continuation in
      let open = state.withLock { state in
        if !state.open { state.waiters.append(continuation) }
        return state.open
      }
      if open { continuation.resume() }
    }
  }

  var hasWaiter: Bool { state.withLock { !$0.waiters.isEmpty } }

  func open() {
    let waiters = state.withLock { state in
      state.open = true
      defer { state.waiters = [] }
      return state.waiters
    }
    for waiter in waiters { waiter.resume() }
  }
}

/// A count tasks can share.
final class Tally: Sendable {
  private let value = Mutex(0)
  func add() { value.withLock { $0 += 1 } }
  var count: Int { value.withLock { $0 } }
}

import Testing
import WirebankPostgres

@testable import WirebankJobs

/// The statements that find a running job by its id probe the primary key, never the claim
/// index, however many jobs wait and whatever the statistics say.
///
/// The claim index once held the rows `state IN ('pending', 'running')`, which each of these
/// statements implies (`state = 'running'`). With statistics taken while few jobs waited, the
/// planner chose a scan of the whole claim index for them, so that under a backlog every
/// completion read all of it. The pool's prepared statements may switch to generic plans after
/// their first five runs; here every plan is generic from the start, made while 8 jobs wait and run
/// again behind 2,000, and the claim index's scans are counted in `pg_stat_user_indexes`
/// (with the old index the lookups scanned it 8 times).
@Suite struct JobLookupPlanTests {
  static let waiting = 2_000

  @Test func lookupsOfARunningJobLeaveTheClaimIndexAlone() async throws {
    try await withJobsPool(maxConnections: 1) { pool in
      // No statistics taken behind the test's back: the plans stay those made below.
      try await pool.query("ALTER TABLE wirebank_jobs SET (autovacuum_enabled = false)")
      try await pool.query("SET plan_cache_mode = force_generic_plan")
      // Each statement planned while few jobs wait, then run again behind a backlog.
      try await enqueueJobs(Self.claimed, pool)
      try await Self.runLookups(pool)
      try await enqueueJobs(Self.waiting + Self.claimed, pool)
      let scans = try await Self.runLookups(pool)

      #expect(scans.claim > 0, "the claim itself scans the claim index")
      #expect(scans.lookups == 0, "scans of the claim index by lookups: \(scans.lookups)")
      #expect(scans.failed == .pending)
      #expect(try await jobCount(pool, state: .succeeded) == 12)
      #expect(try await jobCount(pool, state: .running) == 2)
      #expect(try await jobCount(pool, state: .pending) == Int64(Self.waiting + 4))
    }
  }

  /// Jobs each round claims: one per statement below, two for the arrays' completion.
  static let claimed = 9

  /// Claims `claimed` jobs and runs on them each statement that finds a running job by its
  /// id; returns the claim index's scans by the claim and by the lookups, and the failed
  /// attempt's new state.
  @discardableResult
  static func runLookups(_ pool: PostgresPool) async throws -> (
    claim: Int64, lookups: Int64, failed: JobState?
  ) {
    let start = try await claimIndexScans(pool)
    let jobs = try await claimJobs(claimed, pool)
    try #require(jobs.count == claimed)
    let claim = try await claimIndexScans(pool) - start
    func context(_ job: Job) -> JobContext { handContext(job, pool) }
    func attempt(_ job: Job) -> (id: Int64, attempt: Int32) { (job.id, Int32(job.attempt)) }
    let before = try await claimIndexScans(pool)
    try await context(jobs[0]).complete(with: "SELECT 1")
    try await context(jobs[1]).complete(with: "SELECT 1", commit: .asynchronous)
    try await context(jobs[2]).complete { _ in }
    try await JobClaims.complete([attempt(jobs[3])], pool: pool)
    try await JobClaims.complete([attempt(jobs[4]), attempt(jobs[5])], pool: pool)
    let failed = try await JobClaims.fail(
      id: jobs[6].id, attempt: Int32(jobs[6].attempt), error: "e", retryIn: .seconds(60),
      pool: pool)
    try await JobClaims.release(
      id: jobs[7].id, attempt: Int32(jobs[7].attempt), started: true, pool: pool)
    try await JobClaims.extendLeases([attempt(jobs[8])], lease: .seconds(60), pool: pool)
    return (claim, try await claimIndexScans(pool) - before, failed)
  }

  /// Scans of the claim index so far.
  static func claimIndexScans(_ pool: PostgresPool) async throws -> Int64 {
    try await publishedStatistic(
      pool,
      "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'wirebank_jobs_claimable'")
  }
}

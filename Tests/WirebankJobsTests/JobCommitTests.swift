import Testing
import WirebankPostgres

@testable import WirebankJobs

/// Completions that commit asynchronously wait for no WAL flush; durable ones each wait for one.
///
/// On a cluster of its own with PostgreSQL's durable `synchronous_commit` (the shared test
/// cluster commits asynchronously throughout), counting the WAL writes (`pg_stat_wal`) while one
/// connection completes jobs one statement at a time: a durable commit writes the WAL up to its
/// record before it returns, an asynchronous one leaves that to the WAL writer.
@Suite struct JobCommitTests {
  static let jobs = 40

  @Test func asynchronousCompletionsLeaveTheFlushToTheWALWriter() async throws {
    // The WAL writer's own writes at its slowest: none within the test, however slow the box.
    let cluster = try await TestCluster.startCluster(
      named: "commits", settings: ["synchronous_commit": "on", "wal_writer_delay": "10s"])
    let pool = PostgresPool(
      configuration: try await cluster.createDatabaseIfAbsent("commits"),
      options: .init(maxConnections: 1), logger: JobsTestDatabase.logger)
    try await withPool(pool) { pool in
      try await JobsSchema.migrate(pool: pool, logger: JobsTestDatabase.logger)
      try await pool.query("CREATE TABLE effects (id int8 PRIMARY KEY)")
      func context(_ job: Job) -> JobContext { handContext(job, pool) }
      func effect(_ job: Job) -> PostgresQuery {
        "INSERT INTO effects VALUES (\(job.id)) RETURNING id"
      }

      let durable = try await Self.walWrites(pool) { job in
        try await context(job).complete(with: effect(job))
      }
      // With a follow-up job, whose outcome the dispatcher reads from the last column.
      let asynchronous = try await Self.walWrites(pool) { job in
        try await context(job).complete(
          with: effect(job), enqueueing: [NewJob(kind: "next", uniqueKey: "next:\(job.id)")],
          commit: .asynchronous)
      }
      // What the completion batcher writes for a handler that did not complete its job.
      let batched = try await Self.walWrites(pool) { job in
        try await JobClaims.complete([(job.id, Int32(job.attempt))], pool: pool)
      }
      // Each durable commit writes at least once (the WAL writer may have written a few first).
      #expect(durable >= Int64(Self.jobs * 3 / 4), "durable: \(durable) WAL writes")
      #expect(asynchronous < Int64(Self.jobs / 4), "asynchronous: \(asynchronous) WAL writes")
      #expect(batched < Int64(Self.jobs / 4), "batched: \(batched) WAL writes")

      let done = try await pool.query(
        "SELECT count(*) FROM wirebank_jobs WHERE state = 'succeeded'")
      #expect(try done.single().decode(Int64.self) == Int64(3 * Self.jobs))
      let effects = try await pool.query("SELECT count(*) FROM effects")
      #expect(try effects.single().decode(Int64.self) == Int64(2 * Self.jobs))
      #expect(try await jobCount(pool, state: .pending) == Int64(Self.jobs))
    }
  }

  /// The cluster's WAL writes while `complete` completes `jobs` claimed jobs one by one (the
  /// pool has one connection: every statement runs on the same backend).
  static func walWrites(
    _ pool: PostgresPool, _ complete: (Job) async throws -> Void
  ) async throws -> Int64 {
    try await enqueueJobs(jobs, pool)
    let claimed = try await claimJobs(jobs, pool)
    try #require(claimed.count == jobs)
    let before = try await walWrites(pool)
    for job in claimed { try await complete(job) }
    return try await walWrites(pool) - before
  }

  /// The cluster's WAL writes so far.
  static func walWrites(_ pool: PostgresPool) async throws -> Int64 {
    try await publishedStatistic(pool, "SELECT wal_write FROM pg_stat_wal")
  }
}

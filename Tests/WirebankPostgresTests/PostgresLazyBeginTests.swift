import Testing

@testable import WirebankPostgres

/// BEGIN travels with a transaction's first statement, in one round trip (libpq pipeline mode).
@Suite struct PostgresLazyBeginTests {
  @Test func aTransactionOfOneStatementTakesTwoRoundTrips() async throws {
    try await withPool(try await TestCluster.freshPool("lazy", options: .init(maxConnections: 1))) {
      pool in
      try await pool.query("CREATE TABLE t (n int8)")
      try await pool.withConnection { connection in
        let before = connection.roundTrips
        try await connection.withTransaction { tx in
          try await tx.query("INSERT INTO t VALUES (\(Int64(1)))")
        }
        // BEGIN + INSERT, then COMMIT (it was three before BEGIN became lazy).
        #expect(connection.roundTrips - before == 2)
      }
      #expect(try await pool.query("SELECT count(*) FROM t").single().decode(Int64.self) == 1)
    }
  }

  @Test func aTransactionThatRunsNoStatementSendsNothing() async throws {
    try await withPool(try await TestCluster.freshPool("lazy", options: .init(maxConnections: 1))) {
      pool in
      try await pool.withConnection { connection in
        let before = connection.roundTrips
        let value = try await connection.withTransaction { _ in 42 }
        #expect(value == 42)
        #expect(connection.roundTrips == before)
        #expect(connection.isReusable)
      }
    }
  }

  @Test func aFailingFirstStatementKeepsItsErrorAndRollsBack() async throws {
    try await withPool(try await TestCluster.freshPool("lazy", options: .init(maxConnections: 1))) {
      pool in
      try await pool.query("CREATE TABLE t (n int8 CONSTRAINT t_n_key UNIQUE)")
      try await pool.query("INSERT INTO t VALUES (1)")
      let pid = try await pool.query("SELECT pg_backend_pid()").single().decode(Int32.self)
      let duplicate = await #expect(throws: PostgresError.self) {
        try await pool.withTransaction { tx in
          try await tx.query("INSERT INTO t VALUES (\(Int64(1)))")
          try await tx.query("INSERT INTO t VALUES (\(Int64(2)))")
        }
      }
      #expect(duplicate?.kind == .server && duplicate?.code == .uniqueViolation)
      #expect(duplicate?.constraintName == "t_n_key" && duplicate?.tableName == "t")
      #expect(duplicate?.query == "INSERT INTO t VALUES ($1)")
      let syntax = await #expect(throws: PostgresError.self) {
        try await pool.withTransaction { tx in try await tx.query("SELEC \(Int64(1))") }
      }
      #expect(syntax?.code == .syntaxError)
      // Rolled back, and the same connection is reused: it was left idle, not mid-pipeline.
      let (count, samePID) = try await pool.query(
        "SELECT count(*), pg_backend_pid() = \(pid) FROM t"
      ).single().decode((Int64, Bool).self)
      #expect(count == 1 && samePID)
    }
  }

  @Test func aSwallowedFirstStatementErrorMakesCommitFail() async throws {
    try await withPool(try await TestCluster.freshPool("lazy")) { pool in
      try await pool.query("CREATE TABLE t (n int8 PRIMARY KEY)")
      try await pool.query("INSERT INTO t VALUES (1)")
      let error = await #expect(throws: PostgresError.self) {
        try await pool.withTransaction { tx in
          _ = try? await tx.query("INSERT INTO t VALUES (\(Int64(1)))")
          try await tx.query("INSERT INTO t VALUES (\(Int64(2)))")
        }
      }
      #expect(error?.code == .inFailedSQLTransaction)
      #expect(try await pool.query("SELECT count(*) FROM t").single().decode(Int64.self) == 1)
    }
  }

  @Test func aValueThatCannotBeBoundSendsNoBegin() async throws {
    try await withPool(try await TestCluster.freshPool("lazy", options: .init(maxConnections: 1))) {
      pool in
      try await pool.query("CREATE TABLE t (s text)")
      let inTransaction = try await pool.withTransaction { tx in
        _ = try? await tx.query("INSERT INTO t VALUES (\("nul\u{0}"))")
        try await tx.query("INSERT INTO t VALUES (\("ok"))")
        // Had BEGIN been lost with the failed value, this would run outside any transaction.
        return try await tx.query("SELECT transaction_timestamp() = statement_timestamp()")
          .single().decode(Bool.self)
      }
      #expect(!inTransaction)
      #expect(try await pool.query("SELECT count(*) FROM t").single().decode(Int64.self) == 1)
    }
  }

  /// A cancelled first statement (sent with BEGIN) fails with 57014, is rolled back, and its
  /// connection is closed rather than reused.
  @Test func cancellingTheFirstStatementRollsBackAndDropsTheConnection() async throws {
    try await withPool(try await TestCluster.freshPool("lazy", options: .init(maxConnections: 1))) {
      pool in
      try await pool.query("CREATE TABLE t (n int8)")
      let pid = try await pool.query("SELECT pg_backend_pid()").single().decode(Int32.self)
      let sleeper = Task {
        try await pool.withTransaction { tx in
          try await tx.query("INSERT INTO t SELECT \(Int64(1)) FROM pg_sleep(\(30.0))")
        }
      }
      try await withObserver(of: pool) { observer in
        try await waitUntilSleeping(pid, seenBy: observer)
        sleeper.cancel()
        let error = await #expect(throws: PostgresError.self) { try await sleeper.value }
        #expect(error?.code == .queryCanceled)
        try await waitUntil("the cancelled connection to close") {
          try await observer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = \(pid)")
            .single().decode(Int64.self) == 0
        }
      }
      let newPID = try await pool.query("SELECT pg_backend_pid()").single().decode(Int32.self)
      #expect(newPID != pid)
      #expect(try await pool.query("SELECT count(*) FROM t").single().decode(Int64.self) == 0)
    }
  }

  /// A backend killed while its pipeline runs: the error says the connection was lost, and the
  /// connection (left mid-pipeline) is replaced rather than reused.
  @Test func aConnectionLostMidPipelineIsNeverReused() async throws {
    try await withPool(try await TestCluster.freshPool("lazy", options: .init(maxConnections: 1))) {
      pool in
      let pid = try await pool.query("SELECT pg_backend_pid()").single().decode(Int32.self)
      let victim = Task {
        try await pool.withTransaction(retry: .never) { tx in
          try await tx.query("SELECT pg_sleep(\(30.0))")
        }
      }
      try await withObserver(of: pool) { killer in
        try await waitUntilSleeping(pid, seenBy: killer)
        try await killer.query("SELECT pg_terminate_backend(\(pid))")
      }
      let error = await #expect(throws: PostgresError.self) { try await victim.value }
      #expect(error?.kind == .connectionLost)
      let newPID = try await pool.query("SELECT pg_backend_pid()").single().decode(Int32.self)
      #expect(newPID != pid)
    }
  }

  /// Runs `body` with a second pool on the same database, to watch or kill the first's backend.
  private func withObserver(
    of pool: PostgresPool, _ body: (PostgresPool) async throws -> Void
  ) async throws {
    try await withPool(
      PostgresPool(configuration: pool.configuration, logger: TestCluster.logger), body)
  }

  /// Waits until backend `pid` is running a `pg_sleep` statement.
  private func waitUntilSleeping(_ pid: Int32, seenBy observer: PostgresPool) async throws {
    try await waitUntil("the statement to run") {
      try await observer.query(
        """
        SELECT count(*) FROM pg_stat_activity
        WHERE pid = \(pid) AND state = 'active' AND query LIKE '%pg_sleep%'
        """
      ).single().decode(Int64.self) == 1
    }
  }
}

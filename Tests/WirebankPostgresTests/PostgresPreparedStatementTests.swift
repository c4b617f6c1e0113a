import Testing

@testable import WirebankPostgres

/// Statements with parameters are prepared once per connection and then run by name.
@Suite struct PostgresPreparedStatementTests {
  private func onOneConnection(
    _ body: (PostgresPool, PostgresConnection) async throws -> Void
  ) async throws {
    try await withPool(try await TestCluster.freshPool("prep", options: .init(maxConnections: 1))) {
      pool in
      try await pool.withConnection { connection in try await body(pool, connection) }
    }
  }

  private func serverSideCount(_ connection: PostgresConnection) async throws -> Int64 {
    try await connection.query("SELECT count(*) FROM pg_prepared_statements").single()
      .decode(Int64.self)
  }

  @Test func aStatementIsPreparedOnceAndEachUseIsOneRoundTrip() async throws {
    try await onOneConnection { _, connection in
      for value in Int64(1)...3 {
        let before = connection.roundTrips
        let sum = try await connection.query("SELECT \(value) + 1").single().decode(Int64.self)
        #expect(sum == value + 1 && connection.roundTrips - before == 1)
      }
      #expect(connection.preparedStatementCount == 1)
      #expect(try await serverSideCount(connection) == 1)
    }
  }

  @Test func theSameTextWithOtherParameterTypesIsPreparedApart() async throws {
    try await onOneConnection { _, connection in
      let number = try await connection.query("SELECT \(Int64(5))").single().decode(Int64.self)
      let text = try await connection.query("SELECT \("five")").single().decode(String.self)
      let again = try await connection.query("SELECT \(Int64(6))").single().decode(Int64.self)
      #expect(number == 5 && text == "five" && again == 6)
      #expect(connection.preparedStatementCount == 2)
    }
  }

  @Test func aStatementStaleAfterAlterTableIsPreparedAgain() async throws {
    try await onOneConnection { _, connection in
      try await connection.query("CREATE TABLE t (id int8 PRIMARY KEY, a text)")
      try await connection.query("INSERT INTO t VALUES (1, 'a')")
      let select: PostgresQuery = "SELECT * FROM t WHERE id = \(Int64(1))"
      #expect(try await connection.query(select).columns.count == 2)
      try await connection.query("ALTER TABLE t ADD COLUMN b text DEFAULT 'b'")
      // The cached plan cannot change its result type (0A000): forgotten, prepared again.
      let rows = try await connection.query(select)
      #expect(rows.columns.map(\.name) == ["id", "a", "b"])
      #expect(try await serverSideCount(connection) == 1)
    }
  }

  @Test func aStaleStatementInATransactionRetriesTheTransaction() async throws {
    try await onOneConnection { _, connection in
      try await connection.query("CREATE TABLE t (id int8 PRIMARY KEY, a text)")
      try await connection.query("INSERT INTO t VALUES (1, 'a')")
      let select: PostgresQuery = "SELECT * FROM t WHERE id = \(Int64(1))"
      try await connection.query(select)
      try await connection.query("ALTER TABLE t ADD COLUMN b text")
      let stale = await #expect(throws: PostgresError.self) {
        try await connection.withTransaction(retry: .never) { tx in try await tx.query(select) }
      }
      #expect(stale?.code == .featureNotSupported && stale?.isTransient == true)
      // The stale statement was forgotten; cache it again, then make it stale again.
      #expect(try await connection.query(select).columns.count == 3)
      try await connection.query("ALTER TABLE t ADD COLUMN c text")
      let attempts = Counter()
      let columns = try await connection.withTransaction { tx in
        attempts.increment()
        return try await tx.query(select).columns.count
      }
      #expect(columns == 4 && attempts.current == 2)
    }
  }

  @Test func aStatementDeallocatedBehindTheCachesBackIsPreparedAgain() async throws {
    try await onOneConnection { _, connection in
      #expect(try await connection.query("SELECT \(Int64(1))").single().decode(Int64.self) == 1)
      try await connection.runScript(unsafeSQL: "DEALLOCATE ALL")
      #expect(try await connection.query("SELECT \(Int64(2))").single().decode(Int64.self) == 2)
      #expect(try await serverSideCount(connection) == 1)
    }
  }

  /// Were a failed Parse remembered, the second transaction would fail with 26000.
  @Test func aFailedPrepareIsNotRemembered() async throws {
    try await onOneConnection { _, connection in
      let select: PostgresQuery = "SELECT count(*) FROM later WHERE n = \(Int64(1))"
      let missing = await #expect(throws: PostgresError.self) {
        try await connection.withTransaction(retry: .never) { tx in try await tx.query(select) }
      }
      #expect(missing?.code == .undefinedTable)
      try await connection.query("CREATE TABLE later (n int8)")
      let count = try await connection.withTransaction(retry: .never) { tx in
        try await tx.query(select).single().decode(Int64.self)
      }
      #expect(count == 0)
    }
  }

  /// Prepared statements outlive the transaction they were prepared in, even a rolled back one.
  @Test func aStatementPreparedInARolledBackTransactionStaysUsable() async throws {
    try await onOneConnection { _, connection in
      struct Boom: Error {}
      let select: PostgresQuery = "SELECT \(Int64(3))"
      await #expect(throws: Boom.self) {
        try await connection.withTransaction { tx in
          try await tx.query(select)
          throw Boom()
        }
      }
      let value = try await connection.withTransaction(retry: .never) { tx in
        try await tx.query(select).single().decode(Int64.self)
      }
      #expect(value == 3 && connection.preparedStatementCount == 1)
    }
  }

  @Test func theCacheStaysWithinItsBoundOnTheServerToo() async throws {
    try await onOneConnection { _, connection in
      let capacity = PreparedStatementCache().capacity
      for number in 0..<(capacity + 10) {
        try await connection.query("SELECT \(unsafeSQL: "\(number)") + \(Int64(number))")
      }
      #expect(connection.preparedStatementCount == capacity)
      // The evicted statements were deallocated in the round trip of this parameterless query.
      #expect(try await serverSideCount(connection) == Int64(capacity))
      #expect(try await connection.query("SELECT 0 + \(Int64(7))").single().decode(Int64.self) == 7)
    }
  }
}

import Testing
import WirebankPostgres

@Suite struct PostgresMigratorTests {
  static let migrations = [
    Migration(
      version: 1, name: "create accounts",
      sql: """
        CREATE TABLE accounts (id bigserial PRIMARY KEY, owner text NOT NULL);
        CREATE TABLE applications_log (n int NOT NULL);
        SELECT pg_sleep(0.05);
        """),
    Migration(
      version: 2, name: "count applications", sql: "INSERT INTO applications_log VALUES (1);"),
  ]

  @Test func appliesOnceAndRerunIsANoOp() async throws {
    try await withPool(try await TestCluster.freshPool("mig")) { pool in
      let first = try await PostgresMigrator.migrate(
        Self.migrations, component: "lending", pool: pool, logger: TestCluster.logger)
      #expect(first == MigrationReport(applied: [1, 2], alreadyApplied: 0))
      let second = try await PostgresMigrator.migrate(
        Self.migrations, component: "lending", pool: pool, logger: TestCluster.logger)
      #expect(second == MigrationReport(applied: [], alreadyApplied: 2))
      #expect(
        try await pool.query("SELECT count(*) FROM applications_log").single().decode(Int64.self)
          == 1)
      // Components are independent: the same versions elsewhere are separate migrations.
      let other = try await PostgresMigrator.migrate(
        [Migration(version: 1, name: "x", sql: "CREATE TABLE other (n int);")], component: "jobs",
        pool: pool, logger: TestCluster.logger)
      #expect(other.applied == [1])
    }
  }

  @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
    let configuration = try await TestCluster.freshDatabase("mig")
    try await withThrowingTaskGroup(of: MigrationReport.self) { group in
      for _ in 0..<3 {
        group.addTask {
          try await withPool(PostgresPool(configuration: configuration, logger: TestCluster.logger))
          {
            try await PostgresMigrator.migrate(
              Self.migrations, component: "lending", pool: $0, logger: TestCluster.logger)
          }
        }
      }
      var reports: [MigrationReport] = []
      for try await report in group { reports.append(report) }
      #expect(reports.filter { $0.applied == [1, 2] }.count == 1)
      #expect(reports.filter { $0.applied.isEmpty }.count == 2)
    }
    let count = try await withPool(
      PostgresPool(configuration: configuration, logger: TestCluster.logger)
    ) {
      try await $0.query("SELECT count(*) FROM applications_log").single().decode(Int64.self)
    }
    #expect(count == 1)
  }

  @Test func aChangedAppliedMigrationIsAnErrorNamingIt() async throws {
    try await withPool(try await TestCluster.freshPool("mig")) { pool in
      try await PostgresMigrator.migrate(
        Self.migrations, component: "lending", pool: pool, logger: TestCluster.logger)
      var changed = Self.migrations
      changed[1].sql += "\n-- edited"
      let error = await #expect(throws: MigrationError.self) {
        try await PostgresMigrator.migrate(
          changed, component: "lending", pool: pool, logger: TestCluster.logger)
      }
      #expect(error?.reason == .checksumMismatch && error?.version == 2)
      #expect(error?.description.contains("count applications") == true)
    }
  }

  @Test func aFailingMigrationAppliesNothing() async throws {
    try await withPool(try await TestCluster.freshPool("mig")) { pool in
      let broken =
        Self.migrations + [
          Migration(version: 3, name: "broken", sql: "ALTER TABLE nope ADD x int;")
        ]
      let error = await #expect(throws: MigrationError.self) {
        try await PostgresMigrator.migrate(
          broken, component: "lending", pool: pool, logger: TestCluster.logger)
      }
      #expect(error?.reason == .failed && error?.version == 3)
      #expect(error?.underlying?.code == .undefinedTable)
      let tables = try await pool.query(
        "SELECT count(*) FROM pg_tables WHERE tablename = 'accounts'")
      #expect(try tables.single().decode(Int64.self) == 0)
      let duplicate = [Self.migrations[0], Migration(version: 1, name: "again", sql: "")]
      await #expect(throws: MigrationError.self) {
        try await PostgresMigrator.migrate(
          duplicate, component: "lending", pool: pool, logger: TestCluster.logger)
      }
    }
  }
}

import Logging

/// Applies a component's migrations at start-up: all pending ones in one transaction, under an
/// advisory lock, so that concurrent starters apply each migration exactly once.
public enum PostgresMigrator {
  /// The advisory lock key all migrators of a database share ("wirebank" in ASCII).
  static let lockKey = Int64(bitPattern: 0x7769_7265_6261_6E6B)

  /// Applies the migrations of `component` not yet recorded; a no-op when all are applied.
  ///
  /// - Parameters:
  ///   - component: the owner of the migrations (a service, or a library such as the jobs
  ///     tables); versions are unique per component.
  /// - Throws: `MigrationError` naming the migration that changed, clashes or fails; nothing is
  ///   applied then.
  @discardableResult
  public static func migrate(
    _ migrations: [Migration], component: String, pool: PostgresPool, logger: Logger
  ) async throws -> MigrationReport {
    let sorted = migrations.sorted { $0.version < $1.version }
    for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
      throw MigrationError(
        reason: .duplicateVersion, component: component, version: next.version, name: next.name)
    }
    return try await pool.withTransaction(retry: .never) { transaction in
      try await transaction.query("SELECT pg_advisory_xact_lock(\(lockKey))")
      try await transaction.runScript(
        unsafeSQL: """
          CREATE TABLE IF NOT EXISTS wirebank_migrations (
            component text NOT NULL,
            version bigint NOT NULL,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (component, version)
          )
          """)
      let rows = try await transaction.query(
        "SELECT version, checksum FROM wirebank_migrations WHERE component = \(component)")
      var recorded: [Int: String] = [:]
      for row in rows {
        let (version, checksum) = try row.decode((Int, String).self)
        recorded[version] = checksum
      }
      var applied: [Int] = []
      for migration in sorted {
        if let checksum = recorded[migration.version] {
          guard checksum == migration.checksum else {
            throw MigrationError(
              reason: .checksumMismatch, component: component, version: migration.version,
              name: migration.name)
          }
          continue
        }
        do {
          try await transaction.runScript(unsafeSQL: migration.sql)
        } catch let error as PostgresError {
          throw MigrationError(
            reason: .failed, component: component, version: migration.version,
            name: migration.name, underlying: error)
        }
        try await transaction.query(
          """
          INSERT INTO wirebank_migrations (component, version, name, checksum)
          VALUES (\(component), \(migration.version), \(migration.name), \(migration.checksum))
          """)
        logger.info(
          "migration applied",
          metadata: [
            "component": "\(component)", "version": "\(migration.version)",
            "name": "\(migration.name)",
          ])
        applied.append(migration.version)
      }
      let unknown = Set(recorded.keys).subtracting(sorted.map(\.version))
      if !unknown.isEmpty {
        logger.warning(
          "database has migrations this build does not know (a newer build applied them)",
          metadata: ["component": "\(component)", "versions": "\(unknown.sorted())"])
      }
      return MigrationReport(applied: applied, alreadyApplied: sorted.count - applied.count)
    }
  }
}

/// One versioned schema change of a service: SQL applied once, in version order.
///
/// A service keeps its migrations as an array in code (`[Migration(version: 1, name: …, sql: …)]`)
/// so they ship inside the binary. An applied migration must never change: its checksum is
/// recorded and compared on every start.
public struct Migration: Sendable, Hashable {
  /// The version; unique within a component, applied in ascending order.
  public var version: Int
  /// A short name, for logs and errors.
  public var name: String
  /// The SQL script (several statements allowed; no `BEGIN`/`COMMIT`, no `CONCURRENTLY`).
  public var sql: String

  /// A migration.
  public init(version: Int, name: String, sql: String) {
    self.version = version
    self.name = name
    self.sql = sql
  }

  /// SHA-256 of the SQL text, in hexadecimal.
  public var checksum: String { SHA256.hexDigest(sql.utf8) }
}

/// What a migration run did.
public struct MigrationReport: Sendable, Hashable {
  /// The versions applied by this run, in order.
  public var applied: [Int]
  /// How many of the given migrations had been applied before.
  public var alreadyApplied: Int

  /// A report with the given counts.
  public init(applied: [Int], alreadyApplied: Int) {
    self.applied = applied
    self.alreadyApplied = alreadyApplied
  }
}

/// Why migrations could not be applied.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
  /// The kind of failure.
  public enum Reason: Sendable, Hashable {
    /// Two migrations of the component share a version.
    case duplicateVersion
    /// An applied migration's SQL differs from the recorded checksum.
    case checksumMismatch
    /// The migration's SQL failed (see `underlying`).
    case failed
  }

  /// The kind of failure.
  public var reason: Reason
  /// The component whose migrations were applied.
  public var component: String
  /// The migration concerned.
  public var version: Int
  /// Its name.
  public var name: String
  /// The database error, for `failed`.
  public var underlying: PostgresError?

  /// A sentence naming the migration and what went wrong.
  public var description: String {
    let subject = "migration \(version) \"\(name)\" of \(component)"
    switch reason {
    case .duplicateVersion: return "\(subject) shares its version with another migration"
    case .checksumMismatch:
      return "\(subject) was changed after it was applied (checksum differs); add a new migration"
    case .failed: return "\(subject) failed: \(underlying.map { "\($0)" } ?? "unknown error")"
    }
  }
}

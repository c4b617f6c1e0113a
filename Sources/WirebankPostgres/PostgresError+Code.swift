extension PostgresError {
  /// A SQLSTATE code, as the server reports it: five characters, the first two naming the class.
  ///
  /// The set of named codes can grow without breaking callers: any SQLSTATE can be made with
  /// `Code(rawValue:)`, and the named ones are only conveniences.
  public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The five-character SQLSTATE, for example `23505`.
    public let rawValue: String

    /// A code from its five-character SQLSTATE.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The two-character class, for example `23` (integrity constraint violation).
    public var sqlStateClass: String { String(rawValue.prefix(2)) }

    /// The SQLSTATE followed by its condition name where it is one of the named codes.
    public var description: String {
      if let name = Self.conditionNames[rawValue] { return "\(rawValue) \(name)" }
      return rawValue
    }

    /// `23505`: a unique or primary-key constraint was violated (map to ALREADY_EXISTS).
    public static let uniqueViolation = Code(rawValue: "23505")
    /// `23503`: a foreign-key constraint was violated.
    public static let foreignKeyViolation = Code(rawValue: "23503")
    /// `23502`: a NOT NULL constraint was violated.
    public static let notNullViolation = Code(rawValue: "23502")
    /// `23514`: a CHECK constraint was violated.
    public static let checkViolation = Code(rawValue: "23514")
    /// `23P01`: an exclusion constraint was violated.
    public static let exclusionViolation = Code(rawValue: "23P01")
    /// `40001`: a serializable transaction could not be serialized; retrying may succeed.
    public static let serializationFailure = Code(rawValue: "40001")
    /// `40P01`: the transaction was chosen as a deadlock victim; retrying may succeed.
    public static let deadlockDetected = Code(rawValue: "40P01")
    /// `55P03`: a lock could not be taken (`NOWAIT` or `lock_timeout`).
    public static let lockNotAvailable = Code(rawValue: "55P03")
    /// `57014`: the statement was cancelled (by the client or `statement_timeout`).
    public static let queryCanceled = Code(rawValue: "57014")
    /// `57P01`: the server is shutting down (administrator command).
    public static let adminShutdown = Code(rawValue: "57P01")
    /// `57P03`: the server is starting up or shutting down and cannot take connections now.
    public static let cannotConnectNow = Code(rawValue: "57P03")
    /// `42601`: the statement has a syntax error.
    public static let syntaxError = Code(rawValue: "42601")
    /// `42P01`: a table or view named in the statement does not exist.
    public static let undefinedTable = Code(rawValue: "42P01")
    /// `42703`: a column named in the statement does not exist.
    public static let undefinedColumn = Code(rawValue: "42703")
    /// `42P04`: the database already exists.
    public static let duplicateDatabase = Code(rawValue: "42P04")
    /// `42P07`: the table (or other relation) already exists.
    public static let duplicateTable = Code(rawValue: "42P07")
    /// `42710`: the object already exists.
    public static let duplicateObject = Code(rawValue: "42710")
    /// `22P02`: a value's text is not valid for its type.
    public static let invalidTextRepresentation = Code(rawValue: "22P02")
    /// `22021`: a character is not valid in the database encoding (for example U+0000).
    public static let characterNotInRepertoire = Code(rawValue: "22021")
    /// `22001`: a string is too long for its column.
    public static let stringDataRightTruncation = Code(rawValue: "22001")
    /// `22003`: a number is out of range for its type.
    public static let numericValueOutOfRange = Code(rawValue: "22003")
    /// `25P02`: the transaction has failed; commands are ignored until it ends.
    public static let inFailedSQLTransaction = Code(rawValue: "25P02")
    /// `26000`: the prepared statement named does not exist.
    public static let invalidSQLStatementName = Code(rawValue: "26000")
    /// `0A000`: the feature is not supported (also: a cached plan must not change result type).
    public static let featureNotSupported = Code(rawValue: "0A000")
    /// `3D000`: the database does not exist.
    public static let invalidCatalogName = Code(rawValue: "3D000")
    /// `08006`: the connection failed.
    public static let connectionFailure = Code(rawValue: "08006")

    /// Whether retrying the whole transaction may succeed (serialization failure, deadlock).
    public var isTransient: Bool { self == .serializationFailure || self == .deadlockDetected }

    private static let conditionNames: [String: String] = [
      "23505": "unique_violation", "23503": "foreign_key_violation",
      "23502": "not_null_violation", "23514": "check_violation", "23P01": "exclusion_violation",
      "40001": "serialization_failure", "40P01": "deadlock_detected",
      "55P03": "lock_not_available", "57014": "query_canceled", "57P01": "admin_shutdown",
      "57P03": "cannot_connect_now", "42601": "syntax_error", "42P01": "undefined_table",
      "42703": "undefined_column", "42P04": "duplicate_database", "42P07": "duplicate_table",
      "42710": "duplicate_object", "22P02": "invalid_text_representation",
      "22021": "character_not_in_repertoire", "22001": "string_data_right_truncation",
      "22003": "numeric_value_out_of_range", "25P02": "in_failed_sql_transaction",
      "3D000": "invalid_catalog_name", "08006": "connection_failure",
      "26000": "invalid_sql_statement_name", "0A000": "feature_not_supported",
    ]
  }
}

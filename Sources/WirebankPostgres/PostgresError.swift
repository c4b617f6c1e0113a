/// An error from the PostgreSQL layer: from the server (with its SQLSTATE), the connection, the
/// pool, or encoding and decoding values.
///
/// `description` is safe to log: it never holds the values bound to a query. The server's own
/// message is shown only for SQLSTATE classes whose messages name SQL objects rather than data
/// (syntax, constraints, transactions, connections…); for the others (for example class 22, whose
/// messages quote the offending value) it is kept in `serverMessage`, which callers may log
/// deliberately. `serverDetail` (which quotes key values) is never shown.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
  /// What part of the stack failed; a growable set, like `Code`.
  public struct Kind: Hashable, Sendable, CustomStringConvertible {
    /// The kind's name, as shown in `description`.
    public let description: String
    private init(_ name: String) { description = name }

    /// The server answered the statement with an error (see `code`).
    public static let server = Kind("server error")
    /// A connection could not be opened.
    public static let connectionFailed = Kind("connection failed")
    /// An open connection broke (the server restarted, the socket closed…).
    public static let connectionLost = Kind("connection lost")
    /// A connection that was closed was used.
    public static let connectionClosed = Kind("connection closed")
    /// A value could not be bound to a parameter (for example a string holding U+0000).
    public static let invalidParameter = Kind("invalid parameter")
    /// A column could not be decoded as the requested Swift type.
    public static let decodingFailed = Kind("decoding failed")
    /// The pool was closed.
    public static let poolClosed = Kind("pool closed")
    /// No connection became free within the pool's lease timeout.
    public static let poolTimedOut = Kind("pool timed out")
    /// A transaction handle was used after its transaction ended.
    public static let transactionClosed = Kind("transaction closed")
    /// The configuration (URL or conninfo) is not valid.
    public static let invalidConfiguration = Kind("invalid configuration")
    /// The server's answer was not what the client expected.
    public static let unexpectedResponse = Kind("unexpected response")
  }

  /// What part of the stack failed.
  public var kind: Kind
  /// The SQLSTATE the server sent, if any.
  public var code: Code?
  /// Our own explanation; never contains bound values.
  public var reason: String
  /// The server's primary message. May quote data: log it only deliberately.
  public var serverMessage: String?
  /// The server's detail message. Often quotes key values: never logged by this library.
  public var serverDetail: String?
  /// The constraint the server named, if any.
  public var constraintName: String?
  /// The table the server named, if any.
  public var tableName: String?
  /// The column the server named, or the result column that failed to decode.
  public var columnName: String?
  /// The SQL text of the failing statement (parameters appear as `$n`, never as values).
  public var query: String?

  /// An error of the given kind with a reason that must not contain bound values.
  public init(
    _ kind: Kind, code: Code? = nil, reason: String, columnName: String? = nil,
    query: String? = nil
  ) {
    self.kind = kind
    self.code = code
    self.reason = reason
    self.columnName = columnName
    self.query = query
  }

  /// Set when a statement prepared earlier on the connection no longer fits the tables; the
  /// driver has forgotten it, so the transaction succeeds when it is run again.
  var isStalePreparedStatement = false

  /// Whether the server may accept the same transaction if it is retried.
  public var isTransient: Bool { code?.isTransient ?? false || isStalePreparedStatement }

  /// A one-line summary that holds no bound values.
  public var description: String {
    var text = "PostgresError(\(kind)"
    if let code { text += ", \(code)" }
    text += "): \(reason)"
    if let serverMessage, let code, Self.messageClassesShown.contains(code.sqlStateClass) {
      text += ": \(serverMessage)"
    }
    var names: [String] = []
    if let tableName { names.append("table \(tableName)") }
    if let columnName { names.append("column \(columnName)") }
    if let constraintName { names.append("constraint \(constraintName)") }
    if !names.isEmpty { text += " [\(names.joined(separator: ", "))]" }
    if let query { text += " in query: \(query.prefix(300))" }
    return text
  }

  /// SQLSTATE classes whose primary messages name SQL objects, not the data being processed.
  private static let messageClassesShown: Set<String> = [
    "08", "0A", "23", "25", "28", "3D", "3F", "40", "42", "53", "54", "55", "57", "58",
  ]
}

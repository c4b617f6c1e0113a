import Synchronization

/// How strictly concurrent transactions are kept apart.
public enum PostgresIsolationLevel: String, Sendable, Hashable {
  /// Each statement sees data committed before it began (PostgreSQL's default).
  case readCommitted = "READ COMMITTED"
  /// The whole transaction sees one snapshot; concurrent updates of a row fail with 40001.
  case repeatableRead = "REPEATABLE READ"
  /// As if transactions ran one after another; conflicts fail with 40001.
  case serializable = "SERIALIZABLE"
}

/// When `withTransaction` runs the whole transaction again.
public struct PostgresRetryPolicy: Sendable, Hashable {
  /// Attempts in all, the first included (1 means never retry).
  public var maxAttempts: Int
  /// The wait between attempts.
  public var backoff: Backoff

  /// A policy of `maxAttempts` attempts spaced by `backoff`.
  public init(maxAttempts: Int, backoff: Backoff) {
    self.maxAttempts = max(1, maxAttempts)
    self.backoff = backoff
  }

  /// Five attempts, 5 ms doubling up to 200 ms, with jitter.
  public static let `default` = PostgresRetryPolicy(
    maxAttempts: 5, backoff: Backoff(initial: .milliseconds(5), maximum: .milliseconds(200)))
  /// One attempt only.
  public static let never = PostgresRetryPolicy(
    maxAttempts: 1, backoff: Backoff(initial: .zero, maximum: .zero))

  /// Whether `error` after attempt number `attempt` calls for another attempt: only
  /// serialization failures (40001) and deadlocks (40P01), whose transactions rolled back whole.
  public func shouldRetry(after error: any Error, attempt: Int) -> Bool {
    attempt < maxAttempts && (error as? PostgresError)?.isTransient == true
  }
}

/// The statements of one open transaction. Valid only inside the `withTransaction` body that
/// received it; afterwards every statement fails with `transactionClosed`.
///
/// BEGIN is sent with the transaction's first statement, in the same round trip; a transaction
/// that runs no statement sends nothing.
public struct PostgresTransaction: Sendable {
  let connection: PostgresConnection
  private let state: TransactionState

  init(connection: PostgresConnection, begin: String) {
    self.connection = connection
    self.state = TransactionState(begin: begin)
  }

  /// Runs one statement inside the transaction.
  @discardableResult
  public func query(_ query: PostgresQuery) async throws -> PostgresRows {
    try state.checkOpen()
    // A value that cannot be bound fails before anything, BEGIN included, is sent.
    try query.bindings.validate()
    let state = self.state
    return try await connection.execute(query, beginning: { state.takeBegin() })
  }

  /// Runs a parameterless multi-statement script inside the transaction.
  ///
  /// The caller vouches that `unsafeSQL` holds no untrusted input.
  public func runScript(unsafeSQL: String) async throws {
    try state.checkOpen()
    let state = self.state
    try await connection.runCancellable { libpq in
      // Scripts are rare in transactions: BEGIN goes in a round trip of its own.
      if let begin = state.takeBegin() { try libpq.executeScript(begin) }
      try libpq.executeScript(unsafeSQL)
    }
  }

  /// Whether BEGIN was sent, so that the transaction has to be committed or rolled back.
  var hasBegun: Bool { state.begin.withLock { $0 == nil } }

  func end() { state.isOpen.store(false, ordering: .relaxed) }
}

private final class TransactionState: Sendable {
  let isOpen = Atomic<Bool>(true)
  /// The BEGIN statement until it is handed out to be sent.
  let begin: Mutex<String?>

  init(begin: String) { self.begin = Mutex(begin) }

  func checkOpen() throws {
    guard isOpen.load(ordering: .relaxed) else {
      throw PostgresError(.transactionClosed, reason: "the transaction already ended")
    }
  }

  /// The BEGIN statement the first time, `nil` afterwards. Called on the connection's thread
  /// with the connection locked, so statements racing each other cannot both send it.
  func takeBegin() -> String? {
    begin.withLock { begin in
      defer { begin = nil }
      return begin
    }
  }
}

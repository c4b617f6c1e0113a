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
public struct PostgresTransaction: Sendable {
  let connection: PostgresConnection
  private let state: TransactionState

  init(connection: PostgresConnection) {
    self.connection = connection
    self.state = TransactionState()
  }

  /// Runs one statement inside the transaction.
  @discardableResult
  public func query(_ query: PostgresQuery) async throws -> PostgresRows {
    try state.checkOpen()
    return try await connection.query(query)
  }

  /// Runs a parameterless multi-statement script inside the transaction.
  ///
  /// The caller vouches that `unsafeSQL` holds no untrusted input.
  public func runScript(unsafeSQL: String) async throws {
    try state.checkOpen()
    try await connection.runScript(unsafeSQL: unsafeSQL)
  }

  func end() { state.isOpen.store(false, ordering: .relaxed) }
}

private final class TransactionState: Sendable {
  let isOpen = Atomic<Bool>(true)

  func checkOpen() throws {
    guard isOpen.load(ordering: .relaxed) else {
      throw PostgresError(.transactionClosed, reason: "the transaction already ended")
    }
  }
}

import Logging
import NIOPosix
import Synchronization

/// One open connection to PostgreSQL. A statement is sent by the task that runs it and its
/// answer read by the process's `SocketPoller` thread as it arrives; the calls that block
/// (connecting, closing, scripts, cancel requests) run on a `NIOThreadPool` thread.
///
/// Lifetime is explicit: a connection from `connect(to:threadPool:logger:)` stays open until
/// `close()`; one leased from a `PostgresPool` belongs to the pool. Statements on one connection
/// run one at a time. Cancelling the awaiting task asks the server to cancel the statement.
public final class PostgresConnection: Sendable {
  /// A number identifying this connection in logs.
  public let id: Int
  /// The server process serving this connection (useful with `pg_terminate_backend`).
  public let backendPID: Int32
  let logger: Logger
  private let threadPool: NIOThreadPool
  private let libpq: Mutex<LibpqConnection?>
  private let canceller: LibpqCanceller?
  private let cancelRequested = Atomic<Bool>(false)

  private init(_ connection: sending LibpqConnection, threadPool: NIOThreadPool, logger: Logger) {
    id = nextConnectionID.wrappingAdd(1, ordering: .relaxed).newValue
    backendPID = connection.backendPID
    canceller = connection.makeCanceller()
    self.threadPool = threadPool
    var logger = logger
    logger[metadataKey: "postgres.connection"] = "\(id)"
    self.logger = logger
    libpq = Mutex(connection)
  }

  /// Opens a connection (the blocking connect runs on `threadPool`).
  /// - Throws: `PostgresError` of kind `connectionFailed` with libpq's reason.
  public static func connect(
    to configuration: PostgresConfiguration, threadPool: NIOThreadPool, logger: Logger
  ) async throws -> PostgresConnection {
    let parameters = configuration.connectionParameters
    let connection = try await threadPool.runBlocking {
      PostgresConnection(
        try LibpqConnection(parameters: parameters), threadPool: threadPool, logger: logger)
    }
    connection.logger.debug(
      "postgres connection opened", metadata: ["postgres.backend_pid": "\(connection.backendPID)"])
    return connection
  }

  /// Runs one statement with its values bound to `$n` and returns its rows.
  /// - Throws: `PostgresError`; `CancellationError` if the task was cancelled before it started.
  @discardableResult
  public func query(_ query: PostgresQuery) async throws -> PostgresRows {
    try await execute(query, beginning: { nil })
  }

  /// Runs a script of several statements that binds no values, such as a migration file.
  ///
  /// The caller vouches that `unsafeSQL` holds no untrusted input.
  public func runScript(unsafeSQL: String) async throws {
    try await runCancellable { try $0.executeScript(unsafeSQL) }
  }

  /// Closes the connection (idempotent). Statements afterwards fail with `connectionClosed`.
  public func close() async {
    guard !isClosed else { return }
    // PQfinish sends a Terminate message: run it on the pool too, not on the caller's thread.
    let closed = try? await threadPool.runBlocking {
      self.libpq.withLock { connection in
        defer { connection = nil }
        return connection != nil
      }
    }
    if closed == true { logger.debug("postgres connection closed") }
  }

  /// Whether `close()` was called.
  public var isClosed: Bool { libpq.withLock { $0 == nil } }

  /// Whether the pool may hand this connection out again: open, idle, never cancelled.
  var isReusable: Bool {
    guard !cancelRequested.load(ordering: .relaxed) else { return false }
    return libpq.withLock { connection in
      guard let connection else { return false }
      return !connection.isBroken && connection.isIdle
    }
  }

  /// The pool's check before reusing an idle connection (no blocking, no round trip).
  var looksHealthyWhileIdle: Bool {
    libpq.withLock { $0?.looksHealthyWhileIdle() ?? false }
  }

  /// Round trips to the server so far (statements, scripts and pipelines), for tests.
  var roundTrips: Int { libpq.withLock { $0?.roundTrips ?? 0 } }

  /// The number of statements this connection keeps prepared on the server, for tests.
  var preparedStatementCount: Int { libpq.withLock { $0?.statements.count ?? 0 } }

  /// Whether a transaction block is open on this connection.
  var isInTransaction: Bool { libpq.withLock { $0?.isInTransaction ?? false } }

  /// Runs one statement, preceded by what `begin` returns (called with the connection locked):
  /// sent from the calling thread, answered on the poller's; cancellation sends `PQcancel`.
  func execute(_ query: PostgresQuery, beginning begin: @escaping @Sendable () -> String?)
    async throws -> PostgresRows
  {
    try Task.checkCancellation()
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation {
        (continuation: CheckedContinuation<PostgresRows, any Error>) in
        let socket: Int32
        do {
          socket = try withLibpq { libpq in
            try libpq.startStatement(query, beginning: begin())
            return libpq.socket
          }
        } catch {
          continuation.resume(throwing: error)
          return
        }
        let watched = SocketPoller.shared.whenReadable(socket) { event in
          let progress = self.libpq.withLock { libpq -> StatementProgress in
            guard let libpq else {
              return .finished(.failure(PostgresError(.connectionClosed, reason: "closed")))
            }
            guard case .readable = event else {
              return .finished(.failure(libpq.abandonStatement()))
            }
            return libpq.advanceStatement()
          }
          guard case .finished(let result) = progress else { return false }
          continuation.resume(with: result)
          return true
        }
        if !watched {
          let error = libpq.withLock { $0?.abandonStatement() }
          continuation.resume(
            throwing: error ?? PostgresError(.connectionClosed, reason: "the connection was closed")
          )
        }
      }
    } onCancel: {
      requestCancel()
    }
  }

  /// Runs `body` with the libpq connection on the thread pool; cancellation sends `PQcancel`.
  func runCancellable<Result: Sendable>(
    _ body: @escaping @Sendable (LibpqConnection) throws -> Result
  ) async throws -> Result {
    try Task.checkCancellation()
    return try await withTaskCancellationHandler {
      try await threadPool.runBlocking { try self.withLibpq(body) }
    } onCancel: {
      requestCancel()
    }
  }

  /// Marks the connection as not reusable and asks the server to cancel what it runs.
  private func requestCancel() {
    cancelRequested.store(true, ordering: .relaxed)
    if let canceller {
      threadPool.submit { state in
        if case .active = state { canceller.cancel() }
      }
    }
  }

  /// Runs `body` with the libpq connection on the thread pool even if the task is cancelled.
  func runUncancellable<Result: Sendable>(
    _ body: @escaping @Sendable (LibpqConnection) throws -> Result
  ) async throws -> Result {
    try await threadPool.runBlocking { try self.withLibpq(body) }
  }

  /// Runs `body` with the libpq connection on the calling thread; use only on the thread pool.
  func withLibpq<Result: Sendable>(_ body: (LibpqConnection) throws -> Result) throws -> Result {
    try libpq.withLock { connection in
      guard let connection else {
        throw PostgresError(.connectionClosed, reason: "the connection was closed")
      }
      return try body(connection)
    }
  }
}

private let nextConnectionID = Atomic<Int>(0)

extension NIOThreadPool {
  /// Runs blocking `body` on one of the pool's threads and resumes with its result.
  ///
  /// Unlike `runIfActive`, the work runs even if the awaiting task is cancelled, so cleanup
  /// (rollback, close) still happens; cancellable callers check before calling.
  func runBlocking<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws
    -> Result
  {
    try await withCheckedThrowingContinuation { continuation in
      submit { state in
        guard case .active = state else {
          continuation.resume(
            throwing: PostgresError(.poolClosed, reason: "the thread pool stopped"))
          return
        }
        continuation.resume(with: Swift.Result { try body() })
      }
    }
  }
}

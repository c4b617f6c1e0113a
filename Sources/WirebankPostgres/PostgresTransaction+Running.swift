extension PostgresConnection {
  /// Runs `body` in a transaction on this connection: COMMIT when it returns, ROLLBACK when it
  /// throws, and the whole of it again (per `retry`) after a serialization failure or deadlock.
  ///
  /// `body` may run more than once, so it must not have effects outside the database.
  /// - Throws: what `body` throws, or `PostgresError` (a failed COMMIT included).
  @discardableResult
  public func withTransaction<Result>(
    isolation: isolated (any Actor)? = #isolation,
    isolationLevel: PostgresIsolationLevel = .readCommitted, readOnly: Bool = false,
    retry: PostgresRetryPolicy = .default,
    _ body: (PostgresTransaction) async throws -> sending Result
  ) async throws -> sending Result {
    var attempt = 1
    while true {
      do {
        return try await transactionAttempt(
          isolationLevel: isolationLevel, readOnly: readOnly, body)
      } catch  where retry.shouldRetry(after: error, attempt: attempt) {
        logger.debug(
          "postgres transaction retried", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
        try await Task.sleep(for: retry.backoff.delay(forAttempt: attempt))
        attempt += 1
      }
    }
  }

  /// One BEGIN … COMMIT, rolled back on any error (even in a cancelled task).
  ///
  /// BEGIN goes out with the first statement; a body that runs none sends nothing at all.
  func transactionAttempt<Result>(
    isolation: isolated (any Actor)? = #isolation,
    isolationLevel: PostgresIsolationLevel, readOnly: Bool,
    _ body: (PostgresTransaction) async throws -> sending Result
  ) async throws -> sending Result {
    let begin = "BEGIN ISOLATION LEVEL \(isolationLevel.rawValue)\(readOnly ? " READ ONLY" : "")"
    let transaction = PostgresTransaction(connection: self, begin: begin)
    do {
      let result = try await body(transaction)
      transaction.end()
      guard transaction.hasBegun else { return result }
      let commit = try await query("COMMIT")
      // COMMIT of a transaction in which a statement failed answers ROLLBACK, without an error.
      if commit.commandTag == "ROLLBACK" {
        throw PostgresError(
          .server, code: .inFailedSQLTransaction,
          reason: "the transaction was rolled back because a statement in it failed",
          query: "COMMIT")
      }
      return result
    } catch {
      transaction.end()
      await rollBackIfOpen()
      throw error
    }
  }

  /// Ends an open transaction block; runs even when the task is cancelled.
  func rollBackIfOpen() async {
    _ = try? await runUncancellable { connection in
      if connection.isInTransaction && !connection.isBroken {
        try connection.executeScript("ROLLBACK")
      }
    }
  }
}

extension PostgresPool {
  /// Runs `body` in a transaction on a pooled connection: COMMIT when it returns, ROLLBACK when
  /// it throws, and the whole of it again (per `retry`, on a fresh lease after a jittered pause)
  /// after a serialization failure (40001) or deadlock (40P01).
  ///
  /// `body` may run more than once, so it must not have effects outside the database.
  /// - Throws: what `body` throws, or `PostgresError` (a failed COMMIT included).
  @discardableResult
  public func withTransaction<Result>(
    isolation: isolated (any Actor)? = #isolation,
    isolationLevel: PostgresIsolationLevel = .readCommitted, readOnly: Bool = false,
    retry: PostgresRetryPolicy = .default,
    _ body: (PostgresTransaction) async throws -> sending Result
  ) async throws -> sending Result {
    var attempt = 1
    while true {
      do {
        return try await withConnection { connection in
          try await connection.transactionAttempt(
            isolationLevel: isolationLevel, readOnly: readOnly, body)
        }
      } catch  where retry.shouldRetry(after: error, attempt: attempt) {
        logger.debug(
          "postgres transaction retried", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
        try await Task.sleep(for: retry.backoff.delay(forAttempt: attempt))
        attempt += 1
      }
    }
  }
}

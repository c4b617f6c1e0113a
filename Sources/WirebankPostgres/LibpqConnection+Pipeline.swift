import CLibpq

/// A statement sent in libpq's pipeline mode whose results are still being read.
struct PendingStatement {
  let query: PostgresQuery
  let key: PreparedStatementCache.Key
  var pipeline: StatementPipeline
  /// Whether this is the second run, after the first found its prepared form stale.
  let isRetry: Bool
  /// Whether the NULL that ends the current step's results is still to be read.
  var awaitingEndOfStep = false
  /// False once the results stopped matching the steps (or the connection broke).
  var intact = true
}

/// How far a pending statement got with the input that has arrived.
enum StatementProgress {
  /// More of the server's answer is needed: wait until the socket is readable.
  case waiting
  /// The statement's rows, or its error.
  case finished(Result<PostgresRows, PostgresError>)
}

extension LibpqConnection {
  /// Sends one statement with its bound parameters, preceded by `begin` when given, as one
  /// pipeline without waiting for the answer: `advanceStatement()` reads it as it arrives, and
  /// results come in binary form. The statement is in flight until it finishes.
  ///
  /// libpq's pipeline mode lets BEGIN, the Parse of a statement this connection has not prepared
  /// yet, and its execution share a round trip. A statement whose prepared form went stale is
  /// prepared afresh and run again when it stood alone; inside a transaction block its error is
  /// transient, so `withTransaction` runs the transaction again. If anything leaves the
  /// connection inside the pipeline, it is marked poisoned and never used again.
  /// - Throws: `PostgresError` when the values cannot be bound or the pipeline cannot be sent;
  ///   the statement's own failure (BEGIN's or its own) is what it finishes with.
  func startStatement(_ query: PostgresQuery, beginning begin: String?) throws {
    try query.bindings.validate()
    precondition(inFlight == nil, "a statement is already in flight on this connection")
    inFlight = try sendPipeline(query, begin: begin, isRetry: false)
  }

  /// Reads whatever input has arrived for the statement in flight, without blocking.
  ///
  /// Once every step has its result the statement is finished: the pipeline is left, the cache
  /// updated, and a statement whose prepared form went stale is sent again (`waiting` then).
  func advanceStatement() -> StatementProgress {
    guard var pending = inFlight else {
      return .finished(
        .failure(PostgresError(.unexpectedResponse, reason: "no statement is in flight")))
    }
    let consumed = PQconsumeInput(handle) == 1
    let complete = receiveArrived(into: &pending)
    if !complete && !consumed {
      // The input broke without libpq noticing a lost connection: nothing more will come.
      pending.pipeline.record(.failed(lostError(query: pending.query.sql)))
      pending.intact = false
    } else if !complete {
      inFlight = pending
      return .waiting
    }
    inFlight = nil
    let decision = conclude(pending)
    guard decision.retry, !pending.isRetry else { return .finished(decision.result) }
    // The stale statement is forgotten: this time it is prepared afresh (and not retried again).
    do {
      inFlight = try sendPipeline(pending.query, begin: nil, isRetry: true)
      return advanceStatement()
    } catch {
      return .finished(.failure(error as? PostgresError ?? lostError(query: pending.query.sql)))
    }
  }

  /// Gives up on the statement in flight (its answer can no longer be awaited): the connection
  /// cannot be reused.
  func abandonStatement() -> PostgresError {
    let query = inFlight?.query.sql ?? ""
    inFlight = nil
    isPoisoned = true
    return PostgresError(
      .connectionLost, reason: "the statement's answer could not be awaited", query: query)
  }

  /// Sends one pipeline for `query`.
  private func sendPipeline(_ query: PostgresQuery, begin: String?, isRetry: Bool) throws
    -> PendingStatement
  {
    guard !isPoisoned else {
      throw PostgresError(
        .connectionLost, reason: "an earlier failure left the connection unusable",
        query: query.sql)
    }
    let key = PreparedStatementCache.Key(sql: query.sql, types: query.bindings.types)
    let inTransactionBlock = !isIdle
    let preparation: PreparedStatementCache.Preparation =
      query.bindings.count == 0 ? .unnamed : statements.preparation(for: key)
    // Outside a transaction block only, where a failing DEALLOCATE cannot abort a transaction.
    let deallocations = inTransactionBlock ? [] : statements.takePendingDeallocations()
    let pipeline = StatementPipeline(
      preparation: preparation, begin: begin, deallocations: deallocations,
      inTransactionBlock: inTransactionBlock)
    try send(pipeline.steps, of: query)
    return PendingStatement(query: query, key: key, pipeline: pipeline, isRetry: isRetry)
  }

  /// Leaves pipeline mode once every result is read and updates the statement cache.
  private func conclude(_ pending: PendingStatement) -> StatementPipeline.Decision {
    if !pending.intact || PQexitPipelineMode(handle) != 1 { isPoisoned = true }
    var decision = pending.pipeline.decision()
    // A server error followed by the connection closing (a terminated backend) means the
    // connection was lost, as it did when the whole exchange was one PQexecParams.
    if isDisconnected, case .failure(var error) = decision.result, error.kind == .server {
      error.kind = .connectionLost
      decision.result = .failure(error)
    }
    switch decision.cacheChange {
    case .remember(let name)?: statements.remember(name, for: pending.key)
    case .forgetGone?: statements.forget(pending.key, stillOnServer: false)
    case .forgetStale?: statements.forget(pending.key, stillOnServer: true)
    case nil: break
    }
    return decision
  }

  /// Enters pipeline mode and queues `steps`; the last Sync flushes them to the server.
  private func send(_ steps: [StatementPipeline.Step], of query: PostgresQuery) throws {
    let count = Int32(query.bindings.count)
    try query.bindings.withLibpqArguments { types, values, lengths, formats in
      guard PQenterPipelineMode(handle) == 1 else { throw lostError(query: query.sql) }
      roundTrips += 1
      for step in steps {
        let sent: Int32
        switch step {
        case .deallocate(let name):
          let sql = "DEALLOCATE \(PostgresQuery.quoteIdentifier(name))"
          sent = PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0)
        case .begin(let sql):
          sent = PQsendQueryParams(handle, sql, 0, nil, nil, nil, nil, 0)
        case .prepare(let name):
          sent = PQsendPrepare(handle, name, query.sql, count, types)
        case .execute(let name?):
          sent = PQsendQueryPrepared(handle, name, count, values, lengths, formats, 1)
        case .execute(nil):
          sent = PQsendQueryParams(handle, query.sql, count, types, values, lengths, formats, 1)
        case .sync:
          sent = PQpipelineSync(handle)
        }
        guard sent == 1 else {
          // Part of the pipeline may be queued or sent: its results could never be matched up.
          isPoisoned = true
          throw lostError(query: query.sql)
        }
      }
    }
  }

  /// Reads, in order, the results of the steps that have arrived; true once every step has its
  /// outcome or the stream broke, false when more input is needed.
  private func receiveArrived(into pending: inout PendingStatement) -> Bool {
    let query = pending.query.sql
    while pending.intact {
      // libpq would block in PQgetResult while it is busy: wait for input instead.
      guard PQisBusy(handle) == 0 else { return false }
      if pending.awaitingEndOfStep {
        pending.awaitingEndOfStep = false
        // libpq ends each statement's results with a NULL; anything else means they are out of step.
        guard let extra = PQgetResult(handle) else { continue }
        PQclear(extra)
        pending.intact = false
        break
      }
      guard !pending.pipeline.isComplete else { break }
      switch pending.pipeline.steps[pending.pipeline.outcomes.count] {
      case .deallocate: pending.intact = receiveResult(into: &pending, query: "DEALLOCATE")
      case .begin(let sql): pending.intact = receiveResult(into: &pending, query: sql)
      case .prepare, .execute: pending.intact = receiveResult(into: &pending, query: query)
      case .sync: pending.intact = receiveSync(into: &pending.pipeline, query: query)
      }
    }
    return true
  }

  /// Reads one step's result (the NULL that ends it comes next); false when the stream broke.
  private func receiveResult(into pending: inout PendingStatement, query: String) -> Bool {
    guard let result = PQgetResult(handle) else {
      pending.pipeline.record(.failed(lostError(query: query)))
      return false
    }
    pending.awaitingEndOfStep = true
    switch PQresultStatus(result) {
    case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
      pending.pipeline.record(
        .succeeded(PostgresRows(storage: ResultStorage(taking: result, query: query))))
    case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR:
      pending.pipeline.record(.failed(serverError(result, query: query)))
      PQclear(result)
    case PGRES_PIPELINE_ABORTED:
      pending.pipeline.record(.skipped)
      PQclear(result)
    default:
      PQclear(result)
      pending.pipeline.record(
        .failed(
          PostgresError(
            .unexpectedResponse, reason: "COPY and row-by-row results are not supported",
            query: query)))
      return false
    }
    return true
  }

  /// Reads the marker of a Sync; false when something else came.
  ///
  /// Until the marker arrives the statement may not have committed, so its absence is a failure.
  private func receiveSync(into pipeline: inout StatementPipeline, query: String) -> Bool {
    let result = PQgetResult(handle)
    defer { PQclear(result) }
    guard let result, PQresultStatus(result) == PGRES_PIPELINE_SYNC else {
      pipeline.record(.failed(lostError(query: query)))
      return false
    }
    pipeline.record(.skipped)
    return true
  }

  /// The error for a connection that failed while sending or reading, with libpq's reason.
  func lostError(query: String) -> PostgresError {
    let kind: PostgresError.Kind = isDisconnected ? .connectionLost : .unexpectedResponse
    return PostgresError(kind, reason: Self.message(PQerrorMessage(handle)), query: query)
  }
}

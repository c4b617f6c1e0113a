import CLibpq

extension LibpqConnection {
  /// Runs one statement with its bound parameters (blocking), preceded by `begin` when given, in
  /// one round trip; results come in binary form.
  ///
  /// Uses libpq's pipeline mode so that BEGIN, the Parse of a statement this connection has not
  /// prepared yet, and its execution share a round trip. A statement whose prepared form went
  /// stale is prepared afresh and run again when it stood alone; inside a transaction block its
  /// error is transient, so `withTransaction` runs the transaction again. If anything leaves the
  /// connection inside the pipeline, it is marked poisoned and never used again.
  /// - Throws: `PostgresError` of the first step that failed (BEGIN or the statement).
  func execute(_ query: PostgresQuery, beginning begin: String? = nil) throws -> PostgresRows {
    try query.bindings.validate()
    let decision = try runPipeline(query, begin: begin)
    guard decision.retry else { return try decision.result.get() }
    // The stale statement is forgotten: this time it is prepared afresh (and not retried again).
    return try runPipeline(query, begin: nil).result.get()
  }

  /// Sends one pipeline for `query`, reads its results and updates the statement cache.
  private func runPipeline(_ query: PostgresQuery, begin: String?) throws
    -> StatementPipeline.Decision
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
    var pipeline = StatementPipeline(
      preparation: preparation, begin: begin, deallocations: deallocations,
      inTransactionBlock: inTransactionBlock)
    try send(pipeline.steps, of: query)
    receive(into: &pipeline, query: query.sql)
    var decision = pipeline.decision()
    // A server error followed by the connection closing (a terminated backend) means the
    // connection was lost, as it did when the whole exchange was one PQexecParams.
    if isDisconnected, case .failure(var error) = decision.result, error.kind == .server {
      error.kind = .connectionLost
      decision.result = .failure(error)
    }
    switch decision.cacheChange {
    case .remember(let name)?: statements.remember(name, for: key)
    case .forgetGone?: statements.forget(key, stillOnServer: false)
    case .forgetStale?: statements.forget(key, stillOnServer: true)
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

  /// Reads the result of every step in order, then leaves pipeline mode; a connection whose
  /// results cannot be read to the end is poisoned.
  private func receive(into pipeline: inout StatementPipeline, query: String) {
    var intact = true
    for step in pipeline.steps where intact {
      switch step {
      case .deallocate: intact = receiveResult(into: &pipeline, query: "DEALLOCATE")
      case .begin(let sql): intact = receiveResult(into: &pipeline, query: sql)
      case .prepare, .execute: intact = receiveResult(into: &pipeline, query: query)
      case .sync: intact = receiveSync(into: &pipeline, query: query)
      }
    }
    if !intact || PQexitPipelineMode(handle) != 1 { isPoisoned = true }
  }

  /// Reads one step's result and the NULL that ends it; false when the stream broke.
  private func receiveResult(into pipeline: inout StatementPipeline, query: String) -> Bool {
    guard let result = PQgetResult(handle) else {
      pipeline.record(.failed(lostError(query: query)))
      return false
    }
    switch PQresultStatus(result) {
    case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
      pipeline.record(
        .succeeded(PostgresRows(storage: ResultStorage(taking: result, query: query))))
    case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR:
      pipeline.record(.failed(serverError(result, query: query)))
      PQclear(result)
    case PGRES_PIPELINE_ABORTED:
      pipeline.record(.skipped)
      PQclear(result)
    default:
      PQclear(result)
      pipeline.record(
        .failed(
          PostgresError(
            .unexpectedResponse, reason: "COPY and row-by-row results are not supported",
            query: query)))
      return false
    }
    // libpq ends each statement's results with a NULL; anything else means they are out of step.
    guard let extra = PQgetResult(handle) else { return true }
    PQclear(extra)
    return false
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

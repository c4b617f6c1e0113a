/// How a statement that completes a job commits.
public enum JobCommit: Sendable, Hashable {
  /// Returns once the commit is on disk (PostgreSQL's default).
  case durable
  /// Returns once the commit is visible, before it is on disk (PostgreSQL's asynchronous
  /// commit): the statement does not wait for a WAL flush. A later durable commit of the
  /// cluster flushes it along (WAL is flushed in order), and the WAL writer within
  /// `wal_writer_delay` otherwise. Only a crash of the database can lose it, and then it is lost
  /// whole: the job is still running under its lease and runs again once the lease ends
  /// (`Job.mayHaveRunBefore`).
  ///
  /// For a completion whose change the job's next attempt makes again, such as recording the
  /// answer of an idempotent call: the commit saves a flush, and a loss costs a repeated call.
  case asynchronous

  /// A select-list expression that makes the current statement's own commit asynchronous when
  /// evaluated (`set_config` local to the statement's transaction; the commit reads it).
  static let asynchronousSQL = "set_config('synchronous_commit', 'off', true)"
}

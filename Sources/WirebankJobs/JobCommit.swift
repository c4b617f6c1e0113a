/// How a statement that completes a job commits.
public enum JobCommit: Sendable, Hashable {
  /// Returns once the commit is on disk (PostgreSQL's default).
  case durable
  /// Returns once the commit is visible, before it is on disk (PostgreSQL's asynchronous
  /// commit): the statement does not wait for a WAL flush. A later durable commit of the
  /// cluster flushes it along (WAL is flushed in order), and the WAL writer otherwise within
  /// three `wal_writer_delay`s. A crash of the server, or of any of its backends (the server
  /// then restarts), or a failover to a standby can lose it, and then it is lost whole: the job
  /// is still running under its lease and runs again once the lease ends
  /// (`Job.mayHaveRunBefore`), or is declared dead if that was its last attempt, as after a
  /// worker's crash.
  ///
  /// For a completion whose change the job's next attempt makes again, such as recording the
  /// answer of an idempotent call: the commit saves a flush, and a loss costs a repeated call.
  /// Readers can see the change before the loss, so a status may step back until the job runs
  /// again.
  case asynchronous

  /// A select-list expression that makes the current statement's own commit asynchronous when
  /// evaluated (`set_config` local to the statement's transaction; the commit reads it).
  static let asynchronousSQL = "set_config('synchronous_commit', 'off', true)"

  /// The RETURNING clause that gives an UPDATE this commit: evaluated for changed rows only, and
  /// a statement that changed nothing has nothing to flush. Empty when durable.
  var returning: String { self == .asynchronous ? "RETURNING " + Self.asynchronousSQL : "" }
}

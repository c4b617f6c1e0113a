/// The messages of one round trip that runs one statement, and what their results mean.
///
/// A value without I/O: `LibpqConnection` sends `steps` in order in libpq's pipeline mode, records
/// each step's outcome as it reads it, then carries out `decision()`. Kept apart from libpq so its
/// rules can be tested without a server.
struct StatementPipeline {
  /// One message group of the round trip, answered by one result (a Sync by its marker).
  enum Step: Equatable {
    /// `DEALLOCATE` of a statement the cache let go; its failure harms nothing.
    case deallocate(name: String)
    /// The transaction's `BEGIN …`, sent in the same round trip as its first statement.
    case begin(sql: String)
    /// Parse of the statement under a server-side name.
    case prepare(name: String)
    /// Bind and Execute of the statement: by its prepared name, or parsed unnamed with it.
    case execute(name: String?)
    /// A Sync: the server answers everything before it; a segment's error stops at it.
    case sync
  }

  /// What the server answered to one step.
  enum Outcome {
    /// The step ran; its rows (empty for a command).
    case succeeded(PostgresRows)
    /// The step failed (or the connection broke while it ran).
    case failed(PostgresError)
    /// An earlier step failed, so the server skipped this one; also a Sync's marker.
    case skipped
  }

  /// What happens to the statement's entry in the cache.
  enum CacheChange: Equatable {
    /// The server prepared the statement under this name: remember it.
    case remember(String)
    /// The server no longer has the statement: forget the name.
    case forgetGone
    /// The statement's plan went stale (its tables changed): forget and deallocate it.
    case forgetStale
  }

  /// What to do once every outcome is in.
  struct Decision {
    /// The statement's rows, or the error of the first step that failed.
    var result: Result<PostgresRows, PostgresError>
    /// The change to the cache, if any.
    var cacheChange: CacheChange?
    /// Whether to run the statement once more, prepared afresh (its failure changed nothing).
    var retry = false
  }

  /// The messages, in the order they are sent.
  let steps: [Step]
  /// How the statement is run.
  let preparation: PreparedStatementCache.Preparation
  /// Whether the statement runs on its own, outside a transaction block, so running it again
  /// after it failed is safe.
  let standsAlone: Bool
  /// The outcomes read so far, one for each of the first `outcomes.count` steps.
  private(set) var outcomes: [Outcome] = []

  /// The round trip for one statement: deallocations first in a segment of their own, then the
  /// transaction's BEGIN when given, the Parse of a fresh statement, its execution and a Sync.
  init(
    preparation: PreparedStatementCache.Preparation, begin: String? = nil,
    deallocations: [String] = [], inTransactionBlock: Bool = false
  ) {
    var steps = deallocations.map { Step.deallocate(name: $0) }
    if !steps.isEmpty { steps.append(.sync) }
    if let begin { steps.append(.begin(sql: begin)) }
    switch preparation {
    case .unnamed: steps.append(.execute(name: nil))
    case .cached(let name): steps.append(.execute(name: name))
    case .fresh(let name): steps += [.prepare(name: name), .execute(name: name)]
    }
    steps.append(.sync)
    self.steps = steps
    self.preparation = preparation
    standsAlone = begin == nil && !inTransactionBlock
  }

  /// Records the outcome of the next step.
  mutating func record(_ outcome: Outcome) {
    precondition(outcomes.count < steps.count, "more outcomes than steps")
    outcomes.append(outcome)
  }

  /// Whether every step has its outcome; if not, the reading stopped because the stream broke.
  var isComplete: Bool { outcomes.count == steps.count }

  /// The statement's rows or the first failure, and what the cache learns from them.
  func decision() -> Decision {
    var rows: PostgresRows?
    var change: CacheChange?
    for (step, outcome) in zip(steps, outcomes) {
      switch (step, outcome) {
      case (.deallocate, .failed(let error)) where error.kind == .server:
        continue
      case (.execute, .failed(let error)) where isStale(error):
        var error = error
        error.isStalePreparedStatement = true
        let gone = error.code == .invalidSQLStatementName
        return Decision(
          result: .failure(error), cacheChange: gone ? .forgetGone : .forgetStale,
          retry: standsAlone)
      case (_, .failed(let error)):
        return Decision(result: .failure(error), cacheChange: change)
      case (.prepare(let name), .succeeded):
        change = .remember(name)
      case (.execute, .succeeded(let stepRows)):
        rows = stepRows
      default:
        continue
      }
    }
    // Reading stops early only when the results came out of step with the steps.
    guard let rows, isComplete else {
      let error = PostgresError(
        .unexpectedResponse, reason: "the server's answers did not match the statements sent")
      return Decision(result: .failure(error), cacheChange: change)
    }
    return Decision(result: .success(rows), cacheChange: change)
  }

  /// Whether `error` says a statement prepared in an earlier round trip no longer fits: it is
  /// gone (26000), or a table changed so that its result would (0A000, "cached plan must not
  /// change result type"). Preparing it afresh cures both.
  private func isStale(_ error: PostgresError) -> Bool {
    guard case .cached = preparation else { return false }
    return error.code == .invalidSQLStatementName || error.code == .featureNotSupported
  }
}

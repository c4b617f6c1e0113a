/// The messages of one round trip that runs one statement, and what their results mean.
///
/// A value without I/O: `LibpqConnection` sends `steps` in order in libpq's pipeline mode, records
/// each step's outcome as it reads it, then carries out `decision()`. Kept apart from libpq so its
/// rules can be tested without a server.
struct StatementPipeline {
  /// One message group of the round trip, answered by one result (a Sync by its marker).
  enum Step: Equatable {
    /// The transaction's `BEGIN …`, sent in the same round trip as its first statement.
    case begin(sql: String)
    /// Bind and Execute of the statement (parsed unnamed in the same message group).
    case execute
    /// A Sync: the server answers everything before it, and the round trip ends.
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

  /// What to do once every outcome is in.
  struct Decision {
    /// The statement's rows, or the error of the first step that failed.
    var result: Result<PostgresRows, PostgresError>
  }

  /// The messages, in the order they are sent.
  let steps: [Step]
  /// The outcomes read so far, one for each of the first `outcomes.count` steps.
  private(set) var outcomes: [Outcome] = []

  /// The round trip for one statement, opening the transaction first when `begin` is given.
  init(begin: String?) {
    var steps: [Step] = []
    if let begin { steps.append(.begin(sql: begin)) }
    steps += [.execute, .sync]
    self.steps = steps
  }

  /// Records the outcome of the next step.
  mutating func record(_ outcome: Outcome) {
    precondition(outcomes.count < steps.count, "more outcomes than steps")
    outcomes.append(outcome)
  }

  /// Whether every step has its outcome; if not, the reading stopped because the stream broke.
  var isComplete: Bool { outcomes.count == steps.count }

  /// The statement's rows, or the first failure; steps that were never read count as skipped.
  func decision() -> Decision {
    var rows: PostgresRows?
    for (step, outcome) in zip(steps, outcomes) {
      switch outcome {
      case .failed(let error):
        return Decision(result: .failure(error))
      case .succeeded(let stepRows) where step == .execute:
        rows = stepRows
      case .succeeded, .skipped:
        continue
      }
    }
    // Reading stops early only when the results came out of step with the steps.
    guard let rows, isComplete else {
      let error = PostgresError(
        .unexpectedResponse, reason: "the server's answers did not match the statements sent")
      return Decision(result: .failure(error))
    }
    return Decision(result: .success(rows))
  }
}

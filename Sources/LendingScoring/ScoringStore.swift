import Foundation
import WirebankContracts
import WirebankJobs
import WirebankPostgres

/// An application as Scoring keeps it.
struct ScoredApplication: Sendable {
  var request: ScoringScoreApplicationRequest
  var receivedAt: Date
  var decision: ScoringDecision?

  /// The request as evaluated: its submission time, or the reception's when it names none.
  var evaluated: ScoringScoreApplicationRequest {
    var request = self.request
    if request.submittedAt == nil { request.submittedAt = Google_Protobuf_Timestamp(receivedAt) }
    return request
  }

  var response: ScoringScoreApplicationResponse {
    var response = ScoringScoreApplicationResponse()
    response.applicationId = request.applicationId
    response.state = decision == nil ? .received : .decided
    response.receivedAt = Google_Protobuf_Timestamp(receivedAt)
    response.decision = decision
    return response
  }
}

/// Scoring's SQL. Every value is a bound parameter.
struct ScoringStore: Sendable {
  let pool: PostgresPool
  /// Starts the jobs this store enqueues on the service's own worker at once (nil: NOTIFY).
  var dispatcher: JobDispatcher? = nil

  /// Stores `request` as RECEIVED with `job`, in one statement outside any transaction; false
  /// when the application was received before (nothing is written then).
  func insert(_ request: ScoringScoreApplicationRequest, at now: Date, enqueueing job: NewJob)
    async throws -> Bool
  {
    !(try await JobQueue.enqueue(
      [job],
      along: """
        INSERT INTO scored_applications (application_id, request, state, received_at)
        VALUES (\(request.applicationId), \(try request.serializedBytes()), 'RECEIVED', \(now))
        ON CONFLICT (application_id) DO NOTHING
        RETURNING application_id
        """, pool: pool, dispatcher: dispatcher)).isEmpty
  }

  /// Stores `request` as DECIDED with `decision` (made at `decidedAt`), in one statement; false
  /// when the application was received before (nothing is written then). No job: the caller
  /// gets the decision in its answer, and asks again until it has one.
  func insert(
    _ request: ScoringScoreApplicationRequest, at now: Date, decided decision: ScoringDecision,
    decidedAt: Date
  ) async throws -> Bool {
    !(try await pool.query(
      """
      INSERT INTO scored_applications
        (application_id, request, state, received_at, decision, outcome, decided_at)
      VALUES (\(request.applicationId), \(try request.serializedBytes()), 'DECIDED', \(now),
        \(try decision.serializedBytes()), \(Self.outcome(of: decision)), \(decidedAt))
      ON CONFLICT (application_id) DO NOTHING
      RETURNING application_id
      """)).isEmpty
  }

  /// Application `id`, or nil.
  func application(_ id: String, in transaction: PostgresTransaction? = nil) async throws
    -> ScoredApplication?
  {
    let query: PostgresQuery = """
      SELECT request, received_at, decision FROM scored_applications
      WHERE application_id = \(id)
      """
    let rows =
      if let transaction { try await transaction.query(query) } else {
        try await pool.query(query)
      }
    guard let row = rows.first else { return nil }
    let (request, receivedAt, decision) = try row.decode(([UInt8], Date, [UInt8]?).self)
    return ScoredApplication(
      request: try ScoringScoreApplicationRequest(serializedBytes: request),
      receivedAt: receivedAt,
      decision: try decision.map { try ScoringDecision(serializedBytes: $0) })
  }

  /// The statement RECEIVED → DECIDED with `decision`; it returns a row when it did (none when
  /// the application was decided already).
  static func recordDecision(_ decision: ScoringDecision, at now: Date) throws -> PostgresQuery {
    """
    UPDATE scored_applications
    SET state = 'DECIDED', decision = \(try decision.serializedBytes()),
      outcome = \(Self.outcome(of: decision)), decided_at = \(now)
    WHERE application_id = \(decision.applicationId) AND state = 'RECEIVED'
    RETURNING application_id
    """
  }

  /// The `outcome` column of `decision`.
  private static func outcome(of decision: ScoringDecision) -> String {
    decision.outcome == .approved ? "APPROVED" : "REJECTED"
  }
}

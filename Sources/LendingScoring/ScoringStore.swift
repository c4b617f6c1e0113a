import Foundation
import WirebankContracts
import WirebankPostgres

/// An application as Scoring keeps it.
struct ScoredApplication: Sendable {
  var request: ScoringScoreApplicationRequest
  var receivedAt: Date
  var decision: ScoringDecision?

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

  /// Stores `request` as RECEIVED; false when the application was received before.
  func insert(
    _ request: ScoringScoreApplicationRequest, at now: Date, in transaction: PostgresTransaction
  ) async throws -> Bool {
    try await transaction.query(
      """
      INSERT INTO scored_applications (application_id, request, state, received_at)
      VALUES (\(request.applicationId), \(try request.serializedBytes()), 'RECEIVED', \(now))
      ON CONFLICT (application_id) DO NOTHING
      """
    ).affectedRows == 1
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

  /// RECEIVED → DECIDED with `decision`; false when it was decided already.
  func recordDecision(
    _ decision: ScoringDecision, at now: Date, in transaction: PostgresTransaction
  )
    async throws -> Bool
  {
    try await transaction.query(
      """
      UPDATE scored_applications
      SET state = 'DECIDED', decision = \(try decision.serializedBytes()),
        outcome = \(decision.outcome == .approved ? "APPROVED" : "REJECTED"), decided_at = \(now)
      WHERE application_id = \(decision.applicationId) AND state = 'RECEIVED'
      """
    ).affectedRows == 1
  }
}

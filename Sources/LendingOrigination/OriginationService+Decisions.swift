import WirebankServiceSupport
import Foundation
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

extension OriginationService {
  /// Records Scoring's decision once per application, in one statement: APPROVED moves a NEW or
  /// SCORING application to ACCEPTED and enqueues `accepted_applications_to_pe` with it;
  /// REJECTED makes it REJECTED; a CANCELLED application keeps its status. The same decision
  /// again is answered as already recorded; another decision for a decided application is
  /// refused (ALREADY_EXISTS), and so is a decision id already used for another application.
  public func reportDecision(_ request: OriginationReportDecisionRequest, context: ServerContext)
    async throws -> OriginationReportDecisionResponse
  {
    try await translatingErrors {
      guard let decision = request.decision else {
        var violations = FieldViolations()
        violations.add("decision", "is required")
        try violations.check(domain: Self.errorDomain)
        return OriginationReportDecisionResponse()
      }
      let outcome = try Self.outcome(of: decision)
      let id = try applicationID(decision.applicationId, field: "decision.application_id")
      var response = OriginationReportDecisionResponse()
      let recorded: ApplicationStatus?
      do {
        recorded = try await store.recordDecision(
          id, decision: decision, outcome: outcome, at: now,
          enqueueingIfAccepted: [
            OriginationJobs.job(OriginationJobs.toProductEngine, application: id, queue: jobQueue)
          ], startingPayload: OriginationJobs.agreementPayload(for:))
      } catch let error as PostgresError
        where error.code == .uniqueViolation
        && error.constraintName == "applications_decision_id_key"
      {
        throw RPCError.detailed(
          .alreadyExists, "this decision id was recorded for another application",
          reason: "DECISION_ID_REUSED", domain: Self.errorDomain,
          metadata: ["decision_id": String(decision.decisionId.prefix(128))])
      }
      if let status = recorded {
        logger.info(
          "decision recorded",
          metadata: [
            "application_id": "\(decision.applicationId)", "status": "\(status.rawValue)",
            "reasons": "\(decision.reasonCodes.compactMap(\.protoName))",
          ])
        response.status = status.proto
        return response
      }
      // Nothing stored: no such application, or it has a decision already.
      guard let application = try await store.application(id) else {
        throw notFound(decision.applicationId)
      }
      guard let earlier = application.decision else {
        throw RPCError(.aborted, "the application changed while its decision was recorded; retry")
      }
      guard earlier.decisionId == decision.decisionId else {
        throw RPCError.detailed(
          .alreadyExists, "the application was already decided by another decision",
          reason: "APPLICATION_ALREADY_DECIDED", domain: Self.errorDomain,
          metadata: ["application_id": application.idString, "decision_id": earlier.decisionId])
      }
      response.status = application.status.proto
      response.alreadyRecorded = true
      return response
    }
  }

  /// The status `decision` gives an application awaiting it, once its fields are checked (a
  /// decision reported, or one Scoring answered a job with).
  /// - Throws: `RPCError` (INVALID_ARGUMENT with field violations).
  static func outcome(of decision: ScoringDecision) throws -> ApplicationStatus {
    var violations = FieldViolations()
    if decision.decisionId.isEmpty || decision.decisionId.count > 128 {
      violations.add("decision.decision_id", "is required (at most 128 characters)")
    }
    if UUID(uuidString: decision.applicationId) == nil {
      violations.add("decision.application_id", "must be an application id (a UUID)")
    }
    if decision.outcome != .approved && decision.outcome != .rejected {
      violations.add("decision.outcome", "must be APPROVED or REJECTED")
    }
    try violations.check(domain: errorDomain)
    return decision.outcome == .approved ? .accepted : .rejected
  }
}

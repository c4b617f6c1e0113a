import WirebankServiceSupport
import Foundation
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

extension OriginationService {
  /// Records Scoring's decision once per `decision_id` (through the inbox): APPROVED moves a
  /// NEW or SCORING application to ACCEPTED and enqueues `accepted_applications_to_pe` in the
  /// same transaction; REJECTED makes it REJECTED; a CANCELLED application keeps its status.
  public func reportDecision(_ request: OriginationReportDecisionRequest, context: ServerContext)
    async throws -> OriginationReportDecisionResponse
  {
    try await translatingErrors {
      let decision = try validated(request)
      let id = try applicationID(decision.applicationId, field: "decision.application_id")
      let now = self.now
      return try await store.pool.withTransaction { transaction in
        guard let application = try await store.application(id, locking: true, in: transaction)
        else { throw notFound(decision.applicationId) }
        var response = OriginationReportDecisionResponse()
        guard
          try await Inbox.receive(
            messageID: decision.decisionId, from: Self.decisionSender, in: transaction)
        else {
          response.status = application.status.proto
          response.alreadyRecorded = true
          return response
        }
        if let recorded = application.decision {
          // The rollback also forgets this decision id, so the refusal is repeatable.
          throw RPCError.detailed(
            .alreadyExists, "the application was already decided by another decision",
            reason: "APPLICATION_ALREADY_DECIDED", domain: Self.errorDomain,
            metadata: [
              "application_id": application.idString, "decision_id": recorded.decisionId,
            ])
        }
        var status = application.status
        if application.status.awaitsDecision {
          status = decision.outcome == .approved ? .accepted : .rejected
        }
        let jobs =
          status == .accepted
          ? [OriginationJobs.job(OriginationJobs.toProductEngine, application: id, queue: jobQueue)]
          : []
        try await store.recordDecision(
          id, decision: decision, status: status, at: now, enqueueing: jobs, in: transaction)
        logger.info(
          "decision recorded",
          metadata: [
            "application_id": "\(application.idString)", "status": "\(status.rawValue)",
            "reasons": "\(decision.reasonCodes.compactMap(\.protoName))",
          ])
        response.status = status.proto
        return response
      }
    }
  }

  private func validated(_ request: OriginationReportDecisionRequest) throws -> ScoringDecision {
    var violations = FieldViolations()
    guard let decision = request.decision else {
      violations.add("decision", "is required")
      try violations.check(domain: Self.errorDomain)
      return ScoringDecision()
    }
    if decision.decisionId.isEmpty || decision.decisionId.count > 128 {
      violations.add("decision.decision_id", "is required (at most 128 characters)")
    }
    if UUID(uuidString: decision.applicationId) == nil {
      violations.add("decision.application_id", "must be an application id (a UUID)")
    }
    if decision.outcome != .approved && decision.outcome != .rejected {
      violations.add("decision.outcome", "must be APPROVED or REJECTED")
    }
    try violations.check(domain: Self.errorDomain)
    return decision
  }
}

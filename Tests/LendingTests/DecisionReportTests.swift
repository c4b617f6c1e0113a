import Foundation
import Testing
import WirebankContracts
import WirebankPostgres
import WirebankRPC

/// Scoring's decision reaches Origination in one statement; retries of it race each other.
@Suite struct DecisionReportTests {
  @Test func concurrentReportsOfOneDecisionRecordItOnceWithOneAgreementJob() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    // Scoring is unreachable, so the application waits (NEW) for the decision sent below.
    lending.toScoring.setDown(true)
    let submitted = try await lending.origination.submitApplication(Fixtures.submission("700001"))
    let id = try #require(submitted.application?.applicationId)

    var decision = ScoringDecision()
    decision.decisionId = UUID().uuidString.lowercased()
    decision.applicationId = id
    decision.outcome = .approved
    var request = OriginationReportDecisionRequest()
    request.decision = decision
    let report = request
    let responses = try await withThrowingTaskGroup(
      of: OriginationReportDecisionResponse.self
    ) { group in
      for _ in 0..<8 { group.addTask { try await lending.origination.reportDecision(report) } }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(responses.filter { !$0.alreadyRecorded }.count == 1)
    let statuses: Set<OriginationApplicationStatus> = [.accepted, .agreementCreated]
    #expect(responses.allSatisfy { statuses.contains($0.status) })
    #expect(
      try await lending.count(
        lending.originationPool,
        """
        SELECT count(*) FROM wirebank_jobs
        WHERE kind = 'accepted_applications_to_pe' AND payload = \(Array(id.utf8))
        """) == 1)

    lending.toScoring.setDown(false)
    let final = try await lending.waitUntilFinal([id])
    #expect(final.first?.status == .agreementCreated)
    #expect(final.first?.decision?.decisionId == decision.decisionId)
    try await lending.checkInvariants()
  }
}

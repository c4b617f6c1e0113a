import Foundation
import Testing
import WirebankContracts
import WirebankPostgres

/// Scoring decides within the call that brings an application when the Product Engine answers:
/// Origination records the decision from the answer, without an evaluation or report job, and
/// asks again for an answer that was lost, getting the same decision. When the Product Engine
/// does not answer, the application is evaluated in a job (`LendingReliabilityTests`).
@Suite struct ScoringInlineDecisionTests {
  @Test func theAnswerCarriesTheDecisionAndALostOneIsAskedForAgain() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    // Scoring stores these two decisions, but Origination does not hear them.
    lending.toScoring.loseResponses(of: "ScoreApplication", count: 2)
    var ids: [String] = []
    for index in 0..<3 {
      let response = try await lending.origination.submitApplication(
        Fixtures.submission("72000\(index)"))
      ids.append(response.application?.applicationId ?? "")
    }
    // 19 years old: rejected within the call too.
    let young = try await lending.origination.submitApplication(
      Fixtures.submission("720009", born: (2005, 6, 1)))
    ids.append(young.application?.applicationId ?? "")

    let final = try await lending.waitUntilFinal(ids)
    #expect(
      final.map(\.status) == [.agreementCreated, .agreementCreated, .agreementCreated, .rejected])
    #expect(final[3].decision?.reasonCodes == [.ageOutOfRange])
    #expect(lending.toScoring.calls("ScoreApplication") >= ids.count + 2)
    #expect(lending.toOrigination.calls("ReportDecision") == 0)
    #expect(try await lending.count(lending.scoringPool, "SELECT count(*) FROM wirebank_jobs") == 0)
    // The decision Origination holds is the one Scoring stored, whose answer was lost or not.
    for application in final {
      let stored = try await lending.scoringPool.query(
        """
        SELECT decision FROM scored_applications
        WHERE application_id = \(application.applicationId) AND state = 'DECIDED'
        """
      ).single().decode([UInt8].self)
      let decision = try ScoringDecision(serializedBytes: stored)
      #expect(decision.decisionId == application.decision?.decisionId)
      #expect(decision.outcome == application.decision?.outcome)
    }
    // Each application's hand-off job completed once, recording the decision as it did.
    #expect(try await lending.succeededOriginationJobs("applications_to_scoring") == 4)
    #expect(try await lending.succeededOriginationJobs("accepted_applications_to_pe") == 3)
    try await lending.checkInvariants()
  }

  /// A caller that does not ask for a decision in the answer (an Origination from before
  /// `decide_now`) gets RECEIVED, and the decision in a report, as before.
  @Test func aCallerThatDoesNotAskForTheDecisionGetsItReported() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    // Origination's own hand-off waits (its worker stopped) while this caller asks.
    let (submitted, score) = try await lending.submitAndHoldTheHandOff(
      "720101", decideNow: false)
    let acknowledged = try await lending.scoring.scoreApplication(score)
    #expect(acknowledged.state == .received && acknowledged.decision == nil)
    try await eventually("the decision reported") {
      try await lending.application(submitted.applicationId).status == .accepted
    }
    try await lending.start(.origination)
    let final = try await lending.waitUntilFinal([submitted.applicationId])
    #expect(final.map(\.status) == [.agreementCreated])
    #expect(lending.toOrigination.calls("ReportDecision") >= 1)
    try await lending.checkInvariants()
  }
}

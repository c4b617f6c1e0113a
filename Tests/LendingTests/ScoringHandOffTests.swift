import Foundation
import LendingOrigination
import Testing
import WirebankContracts
import WirebankJobs
import WirebankPostgres

/// Origination's `applications_to_scoring` job carries the request it sends, so its first attempt
/// reads nothing; a retry reads the application and hands nothing over once it was cancelled,
/// asking Scoring only for a decision an earlier attempt may have got.
@Suite struct ScoringHandOffTests {
  @Test func theJobCarriesTheApplicationAsStored() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    let id = try await lending.submitWhileScoringIsDown("710001").applicationId
    let payload = try await lending.originationPool.query(
      "SELECT payload FROM wirebank_jobs WHERE kind = 'applications_to_scoring'"
    ).single().decode([UInt8].self)
    #expect(payload.first == 0)
    let carried = try ScoringScoreApplicationRequest(serializedBytes: payload.dropFirst())
    let stored = try await lending.application(id)
    #expect(carried.applicationId == id)
    #expect(carried.applicant == stored.applicant && carried.terms == stored.terms)
    #expect(carried.submittedAt == stored.createdAt)

    lending.toScoring.setDown(false)
    #expect(try await lending.waitUntilFinal([id]).first?.status == .agreementCreated)
    try await lending.checkInvariants()
  }

  /// A retry asks Scoring only for a decision an earlier attempt may have got: while Scoring is
  /// down it cannot end, and once Scoring answers that it has no such application, it ends
  /// without handing the cancelled application over.
  @Test func aRetryDoesNotHandOverAnApplicationCancelledMeanwhile() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    let id = try await lending.submitWhileScoringIsDown("710002").applicationId
    try await eventually("the first attempt failed") {
      lending.toScoring.calls("ScoreApplication") >= 1
    }
    var cancel = OriginationCancelApplicationRequest()
    cancel.applicationId = id
    cancel.reason = "changed my mind"
    #expect(try await lending.origination.cancelApplication(cancel).status == .cancelled)
    let calls = lending.toScoring.calls("ScoreApplication")
    try await eventually("retries asking Scoring") {
      lending.toScoring.calls("ScoreApplication") >= calls + 2
    }
    #expect(try await lending.succeededOriginationJobs("applications_to_scoring") == 0)
    lending.toScoring.setDown(false)
    try await eventually("the job ended once Scoring answered") {
      try await lending.succeededOriginationJobs("applications_to_scoring") == 1
    }
    #expect(
      try await lending.count(lending.scoringPool, "SELECT count(*) FROM scored_applications") == 0)
    let application = try await lending.application(id)
    #expect(application.status == .cancelled && application.decision == nil)
    try await lending.checkInvariants()
  }

  /// Scoring decided within a call whose answer was lost, and the application was cancelled
  /// before the retry: the retry asks for that decision and records it, keeping CANCELLED.
  @Test func aDecisionWhoseAnswerWasLostIsRecordedOnACancelledApplication() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    // What an attempt whose answer was lost leaves: Scoring has decided.
    let (submitted, score) = try await lending.submitAndHoldTheHandOff(
      "710004", decideNow: true)
    let decided = try await lending.scoring.scoreApplication(score)
    #expect(decided.state == .decided)
    var cancel = OriginationCancelApplicationRequest()
    cancel.applicationId = submitted.applicationId
    cancel.reason = "changed my mind"
    #expect(try await lending.origination.cancelApplication(cancel).status == .cancelled)

    try await lending.start(.origination)
    try await eventually("the decision recorded") {
      try await lending.application(submitted.applicationId).decision != nil
    }
    let application = try await lending.application(submitted.applicationId)
    #expect(application.status == .cancelled)
    #expect(application.decision?.decisionId == decided.decision?.decisionId)
    try await eventually("the job ended") {
      try await lending.succeededOriginationJobs("applications_to_scoring") == 1
    }
    #expect(
      try await lending.count(
        lending.originationPool,
        "SELECT count(*) FROM wirebank_jobs WHERE kind = 'accepted_applications_to_pe'") == 0)
    try await lending.checkInvariants()
  }

  @Test func aJobThatNamesItsApplicationReadsIt() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    let id = try await lending.submitWhileScoringIsDown("710003").applicationId
    // Replace the job with one as an older Origination enqueued it: the application id as text.
    try await lending.originationPool.withTransaction { transaction in
      try await transaction.query(
        "DELETE FROM wirebank_jobs WHERE kind = 'applications_to_scoring'")
      try await LendingHarness.enqueueOriginationJob(
        "applications_to_scoring", application: id, in: transaction)
    }
    lending.toScoring.setDown(false)
    #expect(try await lending.waitUntilFinal([id]).first?.status == .agreementCreated)
    try await lending.checkInvariants()
  }
}

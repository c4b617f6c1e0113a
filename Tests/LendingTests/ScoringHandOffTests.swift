import Foundation
import LendingOrigination
import Testing
import WirebankContracts
import WirebankJobs
import WirebankPostgres

/// Origination's `applications_to_scoring` job carries the request it sends, so its first attempt
/// reads nothing; a retry reads the application and sends nothing once it was cancelled.
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

  @Test func aRetryDoesNotSendAnApplicationCancelledMeanwhile() async throws {
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
    // Scoring stays down: only a retry that sends nothing can end the job. (One that read the
    // application just before the cancellation may still call, and fail, before that.)
    try await eventually("the job ended while Scoring was down") {
      try await lending.succeededOriginationJobs("applications_to_scoring") == 1
    }
    let callsWhenEnded = lending.toScoring.calls("ScoreApplication")
    lending.toScoring.setDown(false)
    #expect(
      try await lending.count(lending.scoringPool, "SELECT count(*) FROM scored_applications") == 0)
    #expect(lending.toScoring.calls("ScoreApplication") == callsWhenEnded)
    #expect(try await lending.application(id).status == .cancelled)
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

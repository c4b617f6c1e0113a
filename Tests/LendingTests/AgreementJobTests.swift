import Foundation
import LendingOrigination
import Testing
import WirebankContracts
import WirebankJobs
import WirebankPostgres

/// The agreement job's first start, claimed from the queue, of an application cancelled before
/// it ran: nothing asked the Product Engine, so nothing is asked now.
@Suite struct AgreementJobFirstStartTests {
  @Test func aCancelledApplicationsFirstAttemptAsksNothing() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    let id = try await lending.submitWhileScoringIsDown("900003").applicationId
    // An ACCEPTED application whose agreement job waits in the queue, not yet due.
    try await lending.originationPool.withTransaction { transaction in
      try await transaction.query(
        "UPDATE applications SET status = 'ACCEPTED' WHERE application_id = \(UUID(uuidString: id))"
      )
      try await LendingHarness.enqueueOriginationJob(
        "accepted_applications_to_pe", application: id, runAt: Date().addingTimeInterval(3600),
        in: transaction)
    }
    var cancel = OriginationCancelApplicationRequest()
    cancel.applicationId = id
    cancel.reason = "changed my mind"
    #expect(try await lending.origination.cancelApplication(cancel).status == .cancelled)
    try await lending.originationPool.query(
      """
      UPDATE wirebank_jobs SET available_at = now() WHERE kind = 'accepted_applications_to_pe';
      """)
    try await lending.originationPool.query(
      "SELECT pg_notify('wirebank_jobs', \(OriginationRuntime.defaultJobQueue))")
    try await eventually("agreement job done") {
      try await lending.succeededOriginationJobs("accepted_applications_to_pe") == 1
    }
    #expect(lending.toEngine.calls("CreateAgreement") == 0)
    #expect(try await lending.count(lending.enginePool, "SELECT count(*) FROM agreements") == 0)
    #expect(try await lending.application(id).status == .cancelled)
  }
}

import Foundation
import LendingScoring
import Testing
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// Scoring's decision reaches Origination in one statement; retries of it race each other.
@Suite struct DecisionReportTests {
  @Test func concurrentReportsOfOneDecisionRecordItOnceWithOneAgreementJob() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    // Scoring is unreachable, so the application waits (NEW) for the decision sent below.
    let id = try await lending.submitWhileScoringIsDown("700001").applicationId

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

/// Jobs enqueued before Scoring's jobs carried their request and decision name the application
/// instead; they still run.
@Suite struct ScoringJobPayloadTests {
  @Test func jobsThatNameTheirApplicationReadItFromTheTable() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    // Origination cannot reach Scoring: the test plays the part of an older Scoring's jobs.
    let application = try await lending.submitWhileScoringIsDown("700002")
    var request = ScoringScoreApplicationRequest()
    request.applicationId = application.applicationId
    request.applicant = application.applicant
    request.terms = application.terms
    let id = application.applicationId
    try await lending.scoringPool.query(
      """
      INSERT INTO scored_applications (application_id, request, state, received_at)
      VALUES (\(id), \(try request.serializedBytes()), 'RECEIVED', now())
      """)
    // A job as an older Scoring enqueued it: its payload is the application id.
    func enqueueNamingTheApplication(_ kind: String) async throws {
      try await lending.scoringPool.withTransaction {
        try await JobQueue.enqueue(
          NewJob(
            kind: kind, payload: Array(id.utf8), queue: ScoringRuntime.defaultJobQueue,
            uniqueKey: "\(kind):\(id)"), in: $0)
      }
    }
    try await enqueueNamingTheApplication("evaluate_application")
    // The evaluation reads the request, decides, and its report reaches Origination.
    try await eventually("Origination has the decision") {
      try await lending.application(id).decision != nil
    }
    let recorded = try await lending.application(id).decision
    #expect(recorded?.outcome == .approved)

    // An old report job of the same application reads the stored decision: a replay.
    try await lending.scoringPool.query(
      "DELETE FROM wirebank_jobs WHERE unique_key = \("report_decision:\(id)")")
    try await enqueueNamingTheApplication("report_decision")
    try await eventually("the old report job succeeded") {
      try await lending.count(
        lending.scoringPool,
        """
        SELECT count(*) FROM wirebank_jobs
        WHERE unique_key = \("report_decision:\(id)") AND state = 'succeeded'
        """) == 1
    }
    lending.toScoring.setDown(false)
    let final = try await lending.waitUntilFinal([id])
    #expect(final.first?.status == .agreementCreated)
    #expect(final.first?.decision?.decisionId == recorded?.decisionId)
    try await lending.checkInvariants()
  }
}

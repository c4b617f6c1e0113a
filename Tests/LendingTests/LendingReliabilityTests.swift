import Foundation
import Testing
import WirebankContracts
import WirebankPostgres
import WirebankRPC

/// Duplicates, retries, peers that go away and services that restart mid-flow: nothing is lost
/// and nothing is done twice.
@Suite struct LendingReliabilityTests {
  @Test func duplicateSubmissionsAndRetriedCallsCreateNothingTwice() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    // Scoring is down, so submissions stay in flight (NEW) while duplicates arrive.
    lending.toScoring.setDown(true)
    let keyed = Fixtures.submission("600001", key: "key-600001")
    let first = try await lending.origination.submitApplication(keyed)
    let replay = try await lending.origination.submitApplication(keyed)
    #expect(!first.deduplicated && replay.deduplicated)
    #expect(replay.application?.applicationId == first.application?.applicationId)
    // The first answer is made before its row is stored (one statement stores both): the same.
    let stored = try await lending.application(first.application?.applicationId ?? "")
    #expect(stored == first.application)

    var reused = keyed
    reused.terms?.termMonths = 36
    let mismatch = await rpcError { _ = try await lending.origination.submitApplication(reused) }
    #expect(mismatch?.code == .failedPrecondition)
    #expect(mismatch.flatMap(ErrorDetails.init)?.reason == "IDEMPOTENCY_KEY_REUSED")

    // The same content under another key is the same application while it is in flight.
    let sameContent = try await lending.origination.submitApplication(
      Fixtures.submission("600001", key: "key-other"))
    #expect(sameContent.deduplicated)
    #expect(sameContent.application?.applicationId == first.application?.applicationId)

    // Identical submissions racing each other: one application.
    let racing = Fixtures.submission("600002")
    let results = try await withThrowingTaskGroup(of: OriginationSubmitApplicationResponse.self) {
      group in
      for _ in 0..<6 { group.addTask { try await lending.origination.submitApplication(racing) } }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(Set(results.compactMap(\.application?.applicationId)).count == 1)
    #expect(results.filter { !$0.deduplicated }.count == 1)
    #expect(
      try await lending.count(lending.originationPool, "SELECT count(*) FROM applications") == 2)

    lending.toScoring.setDown(false)
    let ids = [first, results[0]].compactMap(\.application?.applicationId)
    let final = try await lending.waitUntilFinal(ids)
    #expect(final.allSatisfy { $0.status == .agreementCreated })
    #expect(try await lending.count(lending.enginePool, "SELECT count(*) FROM agreements") == 2)

    // Scoring reports again (a lost response): recorded once; another decision is refused.
    var report = OriginationReportDecisionRequest()
    report.decision = final[0].decision
    let again = try await lending.origination.reportDecision(report)
    #expect(again.alreadyRecorded && again.status == .agreementCreated)
    report.decision?.decisionId = UUID().uuidString
    let conflicting = await rpcError { _ = try await lending.origination.reportDecision(report) }
    #expect(conflicting?.code == .alreadyExists)
    #expect(conflicting.flatMap(ErrorDetails.init)?.reason == "APPLICATION_ALREADY_DECIDED")
    #expect(
      try await lending.count(
        lending.originationPool,
        "SELECT count(*) FROM wirebank_jobs WHERE kind = 'accepted_applications_to_pe'") == 2)

    // Origination retries ScoreApplication (a lost acknowledgement): the same evaluation.
    var score = LendingHarness.scoringRequest(for: final[0])
    let acknowledged = try await lending.scoring.scoreApplication(score)
    #expect(acknowledged.state == .decided)
    #expect(acknowledged.decision?.decisionId == final[0].decision?.decisionId)
    score.terms?.termMonths = 12
    let changed = await rpcError { _ = try await lending.scoring.scoreApplication(score) }
    #expect(changed.flatMap(ErrorDetails.init)?.reason == "APPLICATION_MISMATCH")
    #expect(
      try await lending.count(lending.scoringPool, "SELECT count(*) FROM scored_applications") == 2)

    // The agreement job retries CreateAgreement (a lost response): the same agreement.
    var create = ProductEngineCreateAgreementRequest()
    create.applicationId = final[0].applicationId
    create.applicant = final[0].applicant
    create.terms = final[0].terms
    let created = try await lending.engine.createAgreement(create)
    #expect(!created.created && created.agreement?.agreementId == final[0].agreementId)

    // Once the first is final, the same content is a new application (a second loan).
    let later = try await lending.origination.submitApplication(Fixtures.submission("600002"))
    #expect(!later.deduplicated && later.application?.applicationId != ids[1])
    _ = try await lending.waitUntilFinal([later.application?.applicationId ?? ""])

    // A decision id already recorded for another application is refused and changes nothing.
    lending.toScoring.setDown(true)
    let undecided = try await lending.origination.submitApplication(Fixtures.submission("600003"))
    var reusedDecision = try #require(final[0].decision)
    reusedDecision.applicationId = try #require(undecided.application?.applicationId)
    report.decision = reusedDecision
    let reusedID = await rpcError { _ = try await lending.origination.reportDecision(report) }
    #expect(reusedID?.code == .alreadyExists)
    #expect(reusedID.flatMap(ErrorDetails.init)?.reason == "DECISION_ID_REUSED")
    var get = OriginationGetApplicationRequest()
    get.applicationId = reusedDecision.applicationId
    let untouched = try await lending.origination.getApplication(get)
    #expect(untouched.status == .new && untouched.decision == nil)
    lending.toScoring.setDown(false)
    _ = try await lending.waitUntilFinal([reusedDecision.applicationId])
    try await lending.checkInvariants()
  }

  @Test func jobsBackOffWhilePeersAreDownThenCatchUp() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    lending.toScoring.setDown(true)
    let start = ContinuousClock.now
    var ids: [String] = []
    for index in 0..<4 {
      let response = try await lending.origination.submitApplication(
        Fixtures.submission("70000\(index)"))
      ids.append(response.application?.applicationId ?? "")
    }
    let attempts: PostgresQuery = """
      SELECT COALESCE(min(attempts), 0)::int8, COALESCE(max(attempts), 0)::int8 FROM wirebank_jobs
      WHERE kind = 'applications_to_scoring'
      """
    // A claim counts its attempt before the attempt calls: with every job at its fourth
    // attempt, each has made its first three calls.
    try await eventually("every job retried") {
      try await lending.originationPool.query(attempts).single().decode((Int64, Int64).self).0 >= 4
    }
    // Retries are spaced out: after the first few, one per 100-200 ms (the back-off's cap), where
    // a tight loop would make hundreds a second. The bound grows with the time taken, so a slow
    // machine does not fail it.
    let (_, most) = try await lending.originationPool.query(attempts).single().decode(
      (Int64, Int64).self)
    let elapsed = ContinuousClock.now - start
    #expect(most <= 6 + Int64(elapsed / .milliseconds(100)))
    #expect(
      try await ids.asyncMap { try await lending.application($0).status }
        == Array(repeating: .new, count: 4))
    #expect(lending.toScoring.calls("ScoreApplication") >= 12)

    // Scoring comes back but the Product Engine goes away: evaluations wait for the history.
    lending.toEngine.setDown(true)
    lending.toScoring.setDown(false)
    try await eventually("applications acknowledged") {
      try await ids.asyncMap { try await lending.application($0).status }.allSatisfy {
        $0 == .scoring
      }
    }
    try await eventually("history calls retried") {
      lending.toEngine.calls("GetClientHistory") >= 8
    }
    lending.toEngine.setDown(false)
    let final = try await lending.waitUntilFinal(ids)
    #expect(final.allSatisfy { $0.status == .agreementCreated })
    try await lending.checkInvariants()
  }

  /// The path where Scoring cannot decide within the call: it evaluates in a job and reports.
  @Test func restartsMidFlowLoseNothingAndDuplicateNothing() async throws {
    let lending = try await LendingHarness.start(scoringDecidesInline: false)
    defer { Task { await lending.shutdown() } }
    let count = 6
    // Scoring mid-evaluation: every evaluation waits for the client's history.
    lending.toEngine.hold(["GetClientHistory"])
    var ids: [String] = []
    for index in 0..<count {
      let response = try await lending.origination.submitApplication(
        Fixtures.submission("80000\(index)"))
      ids.append(response.application?.applicationId ?? "")
    }
    try await eventually("evaluations in flight") {
      lending.toEngine.waiting("GetClientHistory") == count
    }
    await lending.stop(.scoring)
    try await lending.start(.scoring)
    try await eventually("evaluations resumed") {
      lending.toEngine.waiting("GetClientHistory") == count
    }

    // Scoring mid-report: decisions made, reports in flight; some responses get lost.
    lending.toOrigination.hold(["ReportDecision"])
    lending.toEngine.release(["GetClientHistory"])
    try await eventually("reports in flight") {
      lending.toOrigination.waiting("ReportDecision") == count
    }
    await lending.stop(.scoring)
    try await lending.start(.scoring)
    try await eventually("reports resumed") {
      lending.toOrigination.waiting("ReportDecision") == count
    }

    // Origination mid-job: agreements requested, the Product Engine has not answered.
    lending.toEngine.hold(["CreateAgreement"])
    lending.toOrigination.loseResponses(of: "ReportDecision", count: 2)
    lending.toOrigination.release(["ReportDecision"])
    try await eventually("agreement calls in flight") {
      lending.toEngine.waiting("CreateAgreement") == count
    }
    await lending.stop(.origination)
    try await lending.start(.origination)
    try await eventually("agreement calls resumed") {
      lending.toEngine.waiting("CreateAgreement") == count
    }

    // Product Engine restarted, and some agreements are made but their answers lost.
    await lending.stop(.productEngine)
    try await lending.start(.productEngine)
    lending.toEngine.loseResponses(of: "CreateAgreement", count: 3)
    lending.toEngine.release()
    let final = try await lending.waitUntilFinal(ids)
    #expect(final.allSatisfy { $0.status == .agreementCreated })
    #expect(lending.toEngine.calls("CreateAgreement") >= 2 * count + 3)
    #expect(
      try await lending.count(lending.enginePool, "SELECT count(*) FROM agreements") == Int64(count)
    )
    #expect(
      try await lending.count(
        lending.scoringPool, "SELECT count(*) FROM scored_applications WHERE state = 'DECIDED'")
        == Int64(count))
    // Every new agreement's payout was requested exactly once, across the restart.
    try await eventually("payouts requested") {
      try await lending.count(
        lending.enginePool, "SELECT count(*) FROM agreements WHERE status = 'PAYMENT_PENDING'")
        == Int64(count)
    }
    #expect(
      try await lending.count(lending.enginePool, "SELECT count(*) FROM wirebank_jobs")
        == Int64(count))
    try await lending.checkInvariants()
  }

  /// An ACCEPTED application cancelled while its agreement job asks the Product Engine: the
  /// agreement is created, then cancelled. Whether the job then finds the application cancelled
  /// when it records the agreement, or its answer is lost and the retry cannot know whether the
  /// first attempt reached the Product Engine, the retry asks again (finding the agreement) and
  /// cancels it, and the application keeps its id.
  @Test(arguments: [false, true])
  func cancellingAnAcceptedApplicationUndoesItsAgreement(answerLost: Bool) async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    lending.toEngine.hold(["CreateAgreement"])
    let submitted = try await lending.origination.submitApplication(
      Fixtures.submission(answerLost ? "900002" : "900001"))
    let id = submitted.application?.applicationId ?? ""
    try await eventually("agreement requested") { lending.toEngine.waiting("CreateAgreement") == 1 }
    #expect(try await lending.application(id).status == .accepted)
    if answerLost { lending.toEngine.loseResponses(of: "CreateAgreement", count: 1) }
    var cancel = OriginationCancelApplicationRequest()
    cancel.applicationId = id
    cancel.reason = "found a better offer"
    #expect(try await lending.origination.cancelApplication(cancel).status == .cancelled)
    lending.toEngine.release()
    try await eventually("agreement job done") {
      try await lending.succeededOriginationJobs("accepted_applications_to_pe") == 1
    }
    let agreements = try await lending.enginePool.query(
      "SELECT agreement_id::text, status FROM agreements WHERE application_id = \(id)"
    ).map { try $0.decode((String, String).self) }
    #expect(agreements.count == 1 && agreements.first?.1 == "CANCELLED")
    let application = try await lending.application(id)
    #expect(application.status == .cancelled && application.cancelReason == "found a better offer")
    #expect(application.agreementId == agreements.first?.0)
    #expect(lending.toEngine.calls("CreateAgreement") == 2)
    try await lending.checkInvariants()
  }
}

extension Array {
  func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
    var result: [T] = []
    result.reserveCapacity(count)
    for element in self { result.append(try await transform(element)) }
    return result
  }
}

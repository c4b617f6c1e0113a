import Foundation
import LendingProductEngine
import Testing
import WirebankContracts
import WirebankRPC

/// The three services together: an application's way from submission to agreement or rejection.
@Suite struct LendingFlowTests {
  @Test func approvedApplicationBecomesAnAgreementWithItsSchedule() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    let submitted = try await lending.origination.submitApplication(Fixtures.submission("100001"))
    let application = try #require(submitted.application)
    #expect(!submitted.deduplicated && application.status == .new)
    #expect(application.metadata == ["channel": "mobile", "partner": "acme"])

    let final = try #require(try await lending.waitUntilFinal([application.applicationId]).first)
    #expect(final.status == .agreementCreated)
    let decision = try #require(final.decision)
    #expect(decision.outcome == .approved && decision.reasonCodes.isEmpty)
    #expect(decision.rules.count == 7 && decision.rules.allSatisfy(\.passed))
    #expect(decision.policyVersion == "2025-01-01" && decision.paymentToIncomeBp == 1007)
    #expect(decision.rules.map(\.ruleId).contains("PTI_LIMIT"))

    var get = ProductEngineGetAgreementRequest()
    get.agreementId = final.agreementId
    let agreement = try await lending.engine.getAgreement(get)
    #expect(agreement.applicationId == application.applicationId)
    #expect(agreement.terms?.principal?.amountMinor == 30_000_000)
    #expect(agreement.monthlyPayment?.amountMinor == 1_510_801)
    var scheduleRequest = ProductEngineGetScheduleRequest()
    scheduleRequest.agreementId = final.agreementId
    let schedule = try await lending.engine.getSchedule(scheduleRequest)
    #expect(schedule.entries.count == 24)
    #expect(schedule.entries.reduce(0) { $0 + ($1.principal?.amountMinor ?? 0) } == 30_000_000)
    #expect(schedule.entries.first?.dueDate?.month == 2)
    try await lending.checkInvariants()
  }

  @Test func rulesRejectWithReasonCodes() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    // 19 years old, and 25,000.00 a month cannot carry 15,108.01.
    let young = try await lending.origination.submitApplication(
      Fixtures.submission("200001", income: 2_500_000, born: (2005, 6, 1)))
    // Terms outside the product, income in another currency.
    var odd = Fixtures.submission("200002", principal: 1_000_000, months: 24)
    odd.applicant?.monthlyIncome = Fixtures.money(500_000, "EUR")
    let outside = try await lending.origination.submitApplication(odd)
    let ids = [young, outside].compactMap(\.application?.applicationId)
    let final = try await lending.waitUntilFinal(ids)
    #expect(final.map(\.status) == [.rejected, .rejected])
    #expect(final[0].decision?.reasonCodes == [.ageOutOfRange, .paymentToIncomeTooHigh])
    #expect(final[0].decision?.paymentToIncomeBp == 6043)
    let pti = final[0].decision?.rules.first { $0.ruleId == "PTI_LIMIT" }
    #expect(
      pti?.passed == false && pti?.inputs["pti_bp"] == "6043" && pti?.inputs["limit_bp"] == "5000")
    #expect(pti?.explanation == "payment-to-income 60.43% > limit 50.00%")
    let age = final[0].decision?.rules.first { $0.ruleId == "AGE_RANGE" }
    #expect(age?.reasonCode == .ageOutOfRange && age?.inputs["age"] == "19")
    #expect(final[1].decision?.reasonCodes == [.incomeNotVerifiable, .termsOutOfRange])
    #expect(final.allSatisfy { $0.agreementId.isEmpty })
    #expect(try await lending.count(lending.enginePool, "SELECT count(*) FROM agreements") == 0)
    try await lending.checkInvariants()
  }

  @Test func clientInArrearsIsRejected() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    // A paid-out agreement whose first payment (2025-02-01) is 20 days late.
    let existing = try #require(
      try await lending.engine.createAgreement(
        Fixtures.createAgreement("legacy-1", document: "300001")
      )
      .agreement)
    var get = ProductEngineGetAgreementRequest()
    get.agreementId = existing.agreementId
    try await eventually("payout requested") {
      try await lending.engine.getAgreement(get).status == .paymentPending
    }
    var disburse = ProductEngineDisburseAgreementRequest()
    disburse.agreementId = existing.agreementId
    disburse.disbursementId = "payout-300001"
    disburse.amount = Fixtures.money(30_000_000)
    _ = try await lending.engine.disburseAgreement(disburse)
    lending.clock.advance(days: 31 + 20)

    let submitted = try await lending.origination.submitApplication(Fixtures.submission("300001"))
    let final = try await lending.waitUntilFinal([submitted.application?.applicationId ?? ""])
    #expect(final.first?.status == .rejected)
    #expect(final.first?.decision?.reasonCodes == [.currentArrears])
    let arrears = final.first?.decision?.rules.first { $0.ruleId == "NO_CURRENT_ARREARS" }
    #expect(
      arrears?.inputs["days_past_due"] == "20" && arrears?.inputs["arrears_minor"] == "1510801")
    // PTI counts the open agreement's payment too: (15,108.01 · 2) / 150,000.00.
    #expect(final.first?.decision?.paymentToIncomeBp == 2014)
    try await lending.checkInvariants(madeDirectly: ["legacy-1"])
  }

  @Test func cancellationAndListing() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    lending.toScoring.setDown(true)
    var ids: [String] = []
    for index in 0..<5 {
      let response = try await lending.origination.submitApplication(
        Fixtures.submission("40000\(index)"))
      ids.append(response.application?.applicationId ?? "")
    }
    var cancel = OriginationCancelApplicationRequest()
    cancel.applicationId = ids[0]
    cancel.reason = "changed my mind"
    let cancelled = try await lending.origination.cancelApplication(cancel)
    #expect(cancelled.status == .cancelled && cancelled.cancelReason == "changed my mind")
    #expect(try await lending.origination.cancelApplication(cancel).status == .cancelled)

    // Newest first, two at a time, filtered by status and by document.
    var list = OriginationListApplicationsRequest()
    var page = CommonPageRequest()
    page.pageSize = 2
    list.page = page
    var seen: [String] = []
    repeat {
      let response = try await lending.origination.listApplications(list)
      #expect(response.applications.count <= 2)
      seen += response.applications.map(\.applicationId)
      list.page?.pageToken = response.page?.nextPageToken ?? ""
    } while !(list.page?.pageToken.isEmpty ?? true)
    #expect(seen == ids.reversed())
    var byStatus = OriginationListApplicationsRequest()
    byStatus.status = .new
    #expect(try await lending.origination.listApplications(byStatus).applications.count == 4)
    var byDocument = OriginationListApplicationsRequest()
    byDocument.identityDocumentNumber = " 400003 "
    #expect(
      try await lending.origination.listApplications(byDocument).applications.map(\.applicationId)
        == [ids[3]])

    lending.toScoring.setDown(false)
    let final = try await lending.waitUntilFinal(ids)
    #expect(final.map(\.status) == [.cancelled] + Array(repeating: .agreementCreated, count: 4))
    // The cancelled application never reached Scoring.
    #expect(
      try await lending.count(lending.scoringPool, "SELECT count(*) FROM scored_applications") == 4)

    cancel.applicationId = ids[1]
    let error = await rpcError { _ = try await lending.origination.cancelApplication(cancel) }
    #expect(error?.code == .failedPrecondition)
    #expect(error.flatMap(ErrorDetails.init)?.reason == "APPLICATION_NOT_CANCELLABLE")
    try await lending.checkInvariants()
  }

  @Test func invalidInputIsRefusedWithFieldDetails() async throws {
    let lending = try await LendingHarness.start()
    defer { Task { await lending.shutdown() } }
    var request = Fixtures.submission("500001")
    request.applicant?.identityDocument?.issuingCountry = "R"
    request.applicant?.identityDocument?.number = "   "
    request.applicant?.firstName = ""
    request.applicant?.phone = "8 999 123"
    request.applicant?.email = "not-an-email"
    request.applicant?.birthDate?.month = 13
    request.terms?.principal = Fixtures.money(0, "rub")
    request.terms?.termMonths = 0
    request.terms?.productCode = "cash loan"
    let error = await rpcError { _ = try await lending.origination.submitApplication(request) }
    #expect(error?.code == .invalidArgument)
    let details = try #require(error.flatMap(ErrorDetails.init))
    #expect(
      details.fields == [
        "applicant.identity_document.issuing_country", "applicant.identity_document.number",
        "applicant.first_name", "applicant.birth_date", "applicant.email", "applicant.phone",
        "terms.product_code", "terms.principal.amount_minor", "terms.principal.currency",
        "terms.term_months",
      ])
    #expect(details.info?.domain == "origination.lending.wirebank")
    #expect(details.status.code == Int32(StatusCode.invalidArgument.rawValue))

    var missing = OriginationSubmitApplicationRequest()
    missing.idempotencyKey = String(repeating: "k", count: 300)
    let missingError = await rpcError {
      _ = try await lending.origination.submitApplication(missing)
    }
    #expect(
      missingError.flatMap(ErrorDetails.init)?.fields == ["idempotency_key", "applicant", "terms"])

    var get = OriginationGetApplicationRequest()
    get.applicationId = "nope"
    #expect(
      await rpcError { _ = try await lending.origination.getApplication(get) }?.code
        == .invalidArgument)
    get.applicationId = UUID().uuidString
    let unknown = await rpcError { _ = try await lending.origination.getApplication(get) }
    #expect(unknown?.code == .notFound)
    #expect(unknown.flatMap(ErrorDetails.init)?.reason == "APPLICATION_NOT_FOUND")
    #expect(
      try await lending.count(lending.originationPool, "SELECT count(*) FROM applications") == 0)
  }
}

import Foundation
import Testing
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

@testable import LendingProductEngine

/// A Product Engine on a fresh database, reached through an in-process transport.
struct EngineHarness {
  let pool: PostgresPool
  let clock: ManualClock
  let runtime: ProductEngineRuntime
  let client: ProductEngine.Client

  static func make() async throws -> EngineHarness {
    let pool = try await LendingTestDatabase.freshPool("pe")
    let clock = ManualClock()
    var configuration = ProductEngineRuntime.Configuration()
    configuration.jobWorker.retryBackoff = Backoff(
      initial: .milliseconds(10), maximum: .milliseconds(50))
    let runtime = try await ProductEngineRuntime.start(
      pool: pool, clock: clock, logger: LendingTestDatabase.logger, configuration: configuration)
    let client = ProductEngine.Client(transport: InProcessTransport(services: [runtime.service]))
    return EngineHarness(pool: pool, clock: clock, runtime: runtime, client: client)
  }

  func agreementCount() async throws -> Int64 {
    try await pool.query("SELECT count(*) FROM agreements").single().decode(Int64.self)
  }

  func close() async { await pool.close() }
}

@Suite struct ProductEngineTests {
  @Test func listsSeededProductsWithPaging() async throws {
    let engine = try await EngineHarness.make()
    defer { Task { await engine.close() } }
    let active = try await engine.client.listProducts(ProductEngineListProductsRequest())
    #expect(active.products.map(\.productCode) == ["CASH_LOAN", "POS_INSTALLMENT"])
    let cash = try #require(active.products.first)
    #expect(cash.currency == "RUB" && cash.annualRateBp == 1890 && cash.active)
    #expect(cash.annualRateBpByTermMonths[12] == 1990)
    #expect(cash.minPrincipal?.amountMinor == 3_000_000 && cash.maxTermMonths == 60)

    var request = ProductEngineListProductsRequest()
    request.includeInactive = true
    var page = CommonPageRequest()
    page.pageSize = 2
    request.page = page
    let first = try await engine.client.listProducts(request)
    #expect(first.products.count == 2)
    let token = try #require(first.page?.nextPageToken)
    request.page?.pageToken = token
    let second = try await engine.client.listProducts(request)
    #expect(second.products.map(\.productCode) == ["POS_INSTALLMENT"])
    #expect(second.page?.nextPageToken == "")

    // A token issued for other filters is refused.
    var other = ProductEngineListProductsRequest()
    other.page = request.page
    let error = await rpcError { _ = try await engine.client.listProducts(other) }
    #expect(error?.code == .invalidArgument)
    #expect(error.flatMap(ErrorDetails.init)?.fields == ["page.page_token"])
  }

  @Test func createAgreementIsIdempotentOnTheApplication() async throws {
    let engine = try await EngineHarness.make()
    defer { Task { await engine.close() } }
    let request = Fixtures.createAgreement("app-1")
    let first = try await engine.client.createAgreement(request)
    #expect(first.created)
    let agreement = try #require(first.agreement)
    #expect(agreement.status == .created && agreement.annualRateBp == 1890)
    #expect(agreement.monthlyPayment?.amountMinor == 1_510_801)
    #expect(agreement.outstandingPrincipal?.amountMinor == 30_000_000)

    let replay = try await engine.client.createAgreement(request)
    #expect(!replay.created && replay.agreement?.agreementId == agreement.agreementId)
    // The new agreement is answered without reading it back: the answer must match the row.
    #expect(replay.agreement == agreement)

    // Concurrent retries meet on the unique application id: still one agreement.
    let concurrent = Fixtures.createAgreement("app-2")
    let ids = try await withThrowingTaskGroup(of: String.self) { group in
      for _ in 0..<8 {
        group.addTask {
          try await engine.client.createAgreement(concurrent).agreement?.agreementId ?? ""
        }
      }
      return try await group.reduce(into: Set<String>()) { $0.insert($1) }
    }
    #expect(ids.count == 1)
    #expect(try await engine.agreementCount() == 2)

    // Same application, other terms.
    var changed = request
    changed.terms = Fixtures.terms(40_000_000)
    let error = await rpcError { _ = try await engine.client.createAgreement(changed) }
    #expect(error?.code == .failedPrecondition)
    #expect(error.flatMap(ErrorDetails.init)?.reason == "APPLICATION_MISMATCH")
    #expect(try await engine.agreementCount() == 2)

    // Terms the product refuses, for an application that has an agreement: still a mismatch.
    changed.terms = Fixtures.terms(1)
    let refused = await rpcError { _ = try await engine.client.createAgreement(changed) }
    #expect(refused.flatMap(ErrorDetails.init)?.reason == "APPLICATION_MISMATCH")
    // Another client for the same application: refused, and the client is not kept.
    let clients = try await engine.pool.query("SELECT count(*) FROM clients").single()
      .decode(Int64.self)
    let otherClient = Fixtures.createAgreement("app-1", document: "654321")
    let mismatch = await rpcError { _ = try await engine.client.createAgreement(otherClient) }
    #expect(mismatch.flatMap(ErrorDetails.init)?.reason == "APPLICATION_MISMATCH")
    #expect(
      try await engine.pool.query("SELECT count(*) FROM clients").single().decode(Int64.self)
        == clients)
  }

  @Test func schedulesAreStoredExactlyWithDueDates() async throws {
    let engine = try await EngineHarness.make()
    defer { Task { await engine.close() } }
    var request = Fixtures.createAgreement("app-s", terms: Fixtures.terms(12_345_678, months: 12))
    var first = CommonDate()
    (first.year, first.month, first.day) = (2025, 1, 31)
    request.firstDueDate = first
    let agreement = try #require(try await engine.client.createAgreement(request).agreement)
    var scheduleRequest = ProductEngineGetScheduleRequest()
    scheduleRequest.agreementId = agreement.agreementId
    let schedule = try await engine.client.getSchedule(scheduleRequest)
    let expected = try Annuity(
      principalMinor: 12_345_678, annualRateBasisPoints: 1990, termMonths: 12)
    #expect(
      schedule.entries.map { $0.total?.amountMinor ?? -1 } == expected.installments.map(\.total))
    #expect(schedule.entries.reduce(0) { $0 + ($1.principal?.amountMinor ?? 0) } == 12_345_678)
    #expect(schedule.totalPayable?.amountMinor == 12_345_678 + expected.totalInterest)
    #expect(
      schedule.entries.map { "\($0.dueDate!.month)/\($0.dueDate!.day)" }.prefix(3) == [
        "1/31", "2/28", "3/31",
      ])
    #expect(schedule.entries.allSatisfy { $0.status == .planned })
  }

  @Test func invalidRequestsNameEveryField() async throws {
    let engine = try await EngineHarness.make()
    defer { Task { await engine.close() } }
    var request = ProductEngineCreateAgreementRequest()
    request.applicant = Fixtures.applicant("1")
    request.applicant?.identityDocument?.issuingCountry = "Russia"
    request.terms = Fixtures.terms(-5, months: 0)
    let error = await rpcError { _ = try await engine.client.createAgreement(request) }
    #expect(error?.code == .invalidArgument)
    let details = try #require(error.flatMap(ErrorDetails.init))
    #expect(
      details.fields == [
        "application_id", "applicant.identity_document.issuing_country",
        "terms.principal.amount_minor", "terms.term_months",
      ])
    #expect(details.info?.domain == ProductEngineService.errorDomain)

    // Terms outside the product's limits.
    let outside = Fixtures.createAgreement("app-x", terms: Fixtures.terms(100, months: 99))
    let limits = await rpcError { _ = try await engine.client.createAgreement(outside) }
    #expect(limits?.code == .invalidArgument)
    #expect(
      limits.flatMap(ErrorDetails.init)?.fields == [
        "terms.principal.amount_minor", "terms.term_months",
      ])

    let inactive = Fixtures.createAgreement(
      "app-y", terms: Fixtures.terms(product: "CASH_LOAN_2019"))
    let unavailable = await rpcError { _ = try await engine.client.createAgreement(inactive) }
    #expect(unavailable?.code == .failedPrecondition)
    #expect(unavailable.flatMap(ErrorDetails.init)?.reason == "PRODUCT_UNAVAILABLE")
    #expect(try await engine.agreementCount() == 0)
  }

  @Test func agreementsMoveThroughTheirLifecycle() async throws {
    let engine = try await EngineHarness.make()
    defer { Task { await engine.close() } }
    try await whileRunning([{ await engine.runtime.run() }]) {
      let created = try #require(
        try await engine.client.createAgreement(Fixtures.createAgreement("app-l")).agreement)
      var get = ProductEngineGetAgreementRequest()
      get.agreementId = created.agreementId
      // The payout job moves it to PAYMENT_PENDING.
      try await eventually("payment pending") {
        try await engine.client.getAgreement(get).status == .paymentPending
      }
      var disburse = ProductEngineDisburseAgreementRequest()
      disburse.agreementId = created.agreementId
      disburse.disbursementId = "payout-1"
      disburse.amount = Fixtures.money(29_000_000)
      let wrongAmount = await rpcError { _ = try await engine.client.disburseAgreement(disburse) }
      #expect(wrongAmount?.code == .invalidArgument)
      disburse.amount = Fixtures.money(30_000_000)
      let active = try await engine.client.disburseAgreement(disburse)
      #expect(active.status == .active && active.disbursedAt != nil)
      // A replay of the same payout answers the same; another payout id is refused.
      #expect(try await engine.client.disburseAgreement(disburse).status == .active)
      disburse.disbursementId = "payout-2"
      let again = await rpcError { _ = try await engine.client.disburseAgreement(disburse) }
      #expect(again.flatMap(ErrorDetails.init)?.reason == "INVALID_TRANSITION")

      var cancel = ProductEngineCancelAgreementRequest()
      cancel.agreementId = created.agreementId
      let notCancellable = await rpcError { _ = try await engine.client.cancelAgreement(cancel) }
      #expect(notCancellable?.code == .failedPrecondition)

      let other = try #require(
        try await engine.client.createAgreement(Fixtures.createAgreement("app-m")).agreement)
      cancel.agreementId = other.agreementId
      cancel.reason = "client changed their mind"
      let cancelled = try await engine.client.cancelAgreement(cancel)
      #expect(cancelled.status == .cancelled && cancelled.endedAt != nil)
      #expect(try await engine.client.cancelAgreement(cancel).status == .cancelled)

      var list = ProductEngineListAgreementsRequest()
      list.status = .active
      #expect(
        try await engine.client.listAgreements(list).agreements.map(\.agreementId) == [
          created.agreementId
        ])
    }
  }

  @Test func clientHistoryShowsArrearsAndPaymentToIncomeInputs() async throws {
    let engine = try await EngineHarness.make()
    defer { Task { await engine.close() } }
    var history = ProductEngineGetClientHistoryRequest()
    history.client = .identityDocument(Fixtures.document("555"))
    history.proposedTerms = Fixtures.terms(10_000_000, months: 12)
    let unknown = try await engine.client.getClientHistory(history)
    #expect(!unknown.knownClient && unknown.openAgreements.isEmpty)
    let proposed = try Annuity.monthlyPayment(
      principalMinor: 10_000_000, annualRateBasisPoints: 1990, termMonths: 12)
    #expect(unknown.ptiInputs?.proposedMonthlyPayment?.amountMinor == proposed)

    try await whileRunning([{ await engine.runtime.run() }]) {
      let agreement = try #require(
        try await engine.client.createAgreement(Fixtures.createAgreement("app-h", document: "555"))
          .agreement)
      var get = ProductEngineGetAgreementRequest()
      get.agreementId = agreement.agreementId
      try await eventually("payment pending") {
        try await engine.client.getAgreement(get).status == .paymentPending
      }
      var disburse = ProductEngineDisburseAgreementRequest()
      disburse.agreementId = agreement.agreementId
      disburse.disbursementId = "p-h"
      disburse.amount = Fixtures.money(30_000_000)
      _ = try await engine.client.disburseAgreement(disburse)
    }
    let current = try await engine.client.getClientHistory(history)
    #expect(current.knownClient && current.openAgreements.count == 1)
    #expect(current.maxDaysPastDue == 0)
    #expect(current.ptiInputs?.existingMonthlyPayments.map(\.amountMinor) == [1_510_801])

    // The first payment falls due on 2025-02-01 and is not paid: 20 days later it is overdue.
    engine.clock.advance(days: 31 + 20)
    let late = try await engine.client.getClientHistory(history)
    #expect(late.maxDaysPastDue == 20 && late.maxDaysPastDueEver == 20)
    #expect(late.openAgreements.first?.arrears?.amountMinor == 1_510_801)
    var schedule = ProductEngineGetScheduleRequest()
    schedule.agreementId = late.openAgreements.first?.agreementId ?? ""
    #expect(try await engine.client.getSchedule(schedule).entries.first?.status == .overdue)
  }

  @Test func repaymentsCloseAnAgreementAndLatenessIsRemembered() async throws {
    let engine = try await EngineHarness.make()
    defer { Task { await engine.close() } }
    let agreement = try await engine.disbursedAgreement("app-r", document: "777")
    let id = try #require(UUID(uuidString: agreement.agreementId))
    let store = engine.runtime.service.store
    // The first payment (due 2025-02-01) is paid 4 days late, then everything at once.
    engine.clock.advance(days: 31 + 4)
    let today = CivilDate(utc: engine.clock.now())
    #expect(
      try await store.applyRepayment(
        agreementID: id, amountMinor: 1_510_801, on: today, at: engine.clock.now()) == 0)
    var schedule = ProductEngineGetScheduleRequest()
    schedule.agreementId = agreement.agreementId
    let entries = try await engine.client.getSchedule(schedule).entries
    #expect(entries.first?.status == .paid && entries[1].status == .planned)
    let rest = entries.dropFirst().reduce(0) { $0 + ($1.total?.amountMinor ?? 0) }
    let overpaid = try await store.applyRepayment(
      agreementID: id, amountMinor: rest + 500, on: today, at: engine.clock.now())
    #expect(overpaid == 500)

    var get = ProductEngineGetAgreementRequest()
    get.agreementId = agreement.agreementId
    let closed = try await engine.client.getAgreement(get)
    #expect(closed.status == .closed && closed.outstandingPrincipal?.amountMinor == 0)
    var history = ProductEngineGetClientHistoryRequest()
    history.client = .clientId(closed.clientId)
    let view = try await engine.client.getClientHistory(history)
    #expect(view.knownClient && view.openAgreements.isEmpty)
    #expect(view.closedAgreementsCount == 1 && view.maxDaysPastDueEver == 4)
  }
}

extension EngineHarness {
  /// An agreement created, its payout requested (by the job) and recorded.
  func disbursedAgreement(_ application: String, document: String) async throws
    -> ProductEngineAgreement
  {
    try await whileRunning([{ await runtime.run() }]) {
      let created = try #require(
        try await client.createAgreement(
          Fixtures.createAgreement(application, document: document)
        ).agreement)
      var get = ProductEngineGetAgreementRequest()
      get.agreementId = created.agreementId
      try await eventually("payment pending") {
        try await client.getAgreement(get).status == .paymentPending
      }
      var disburse = ProductEngineDisburseAgreementRequest()
      disburse.agreementId = created.agreementId
      disburse.disbursementId = "payout-\(application)"
      disburse.amount = created.terms?.principal
      return try await client.disburseAgreement(disburse)
    }
  }
}

import Foundation
import LendingScoring
import Testing
import WirebankContracts

/// The rules alone: no database, no peers.
@Suite struct ScoringPolicyTests {
  static let submittedAt = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01

  static func input(
    born: (Int32, Int32, Int32) = (1988, 4, 12), income: Int64? = 15_000_000,
    open: Int = 0, daysPastDue: Int32 = 0, worstEver: Int32 = 0, proposed: Int64 = 1_510_801,
    existing: [CommonMoney] = []
  ) -> ScoringPolicy.Input {
    var history = ProductEngineGetClientHistoryResponse()
    history.knownClient = open > 0
    history.openAgreements = (0..<open).map { _ in
      var summary = ProductEngineGetClientHistoryResponse.AgreementSummary()
      summary.daysPastDue = daysPastDue
      summary.arrears = Fixtures.money(daysPastDue > 0 ? 100 : 0)
      return summary
    }
    history.maxDaysPastDue = daysPastDue
    history.maxDaysPastDueEver = worstEver
    var pti = ProductEngineGetClientHistoryResponse.PaymentToIncomeInputs()
    pti.proposedMonthlyPayment = Fixtures.money(proposed)
    pti.existingMonthlyPayments = existing
    history.ptiInputs = pti
    var product = ProductEngineProduct()
    product.productCode = "CASH_LOAN"
    product.currency = "RUB"
    product.minPrincipal = Fixtures.money(3_000_000)
    product.maxPrincipal = Fixtures.money(500_000_000)
    product.minTermMonths = 3
    product.maxTermMonths = 60
    product.active = true
    return ScoringPolicy.Input(
      applicant: Fixtures.applicant("1", income: income, born: born), terms: Fixtures.terms(),
      submittedAt: submittedAt, history: history, product: product)
  }

  @Test func approvesAndExplainsEveryRule() {
    let decision = ScoringPolicy().evaluate(Self.input())
    #expect(decision.outcome == .approved && decision.reasonCodes.isEmpty)
    #expect(
      decision.rules.map(\.ruleId) == [
        "INCOME_VERIFIABLE", "AGE_RANGE", "PRODUCT_TERMS", "OPEN_AGREEMENTS_LIMIT",
        "NO_CURRENT_ARREARS", "NO_SERIOUS_PAST_ARREARS", "PTI_LIMIT",
      ])
    #expect(decision.rules.allSatisfy { $0.passed && !$0.explanation.isEmpty })
    #expect(decision.paymentToIncomeBp == 1007)
  }

  @Test(
    arguments: [
      ((2003, 12, 31), true), ((2004, 1, 1), true), ((2004, 1, 2), false),
      ((1954, 1, 2), true), ((1954, 1, 1), false),
    ] as [((Int32, Int32, Int32), Bool)])
  func agesAreTakenOnTheDayOfSubmission(born: (Int32, Int32, Int32), accepted: Bool) {
    let decision = ScoringPolicy().evaluate(Self.input(born: born))
    #expect(decision.reasonCodes.contains(.ageOutOfRange) == !accepted)
  }

  @Test func historyRulesAndPaymentToIncome() {
    let policy = ScoringPolicy()
    #expect(policy.evaluate(Self.input(open: 3)).reasonCodes == [.tooManyActiveAgreements])
    #expect(
      policy.evaluate(Self.input(open: 1, daysPastDue: 5, worstEver: 5)).reasonCodes
        == [.currentArrears])
    #expect(policy.evaluate(Self.input(worstEver: 30)).reasonCodes == [.pastArrears])
    // 5000 bp exactly passes; one minor unit more does not.
    #expect(policy.evaluate(Self.input(income: 3_021_602)).outcome == .approved)
    let over = policy.evaluate(
      Self.input(income: 3_021_602, existing: [Fixtures.money(1), Fixtures.money(999, "EUR")]))
    #expect(over.paymentToIncomeBp == 5000)  // 50.0000something% rounds to 5000 bp…
    #expect(over.outcome == .approved)  // …and the limit is on the rounded figure.
    let high = policy.evaluate(Self.input(income: 3_000_000))
    #expect(high.reasonCodes == [.paymentToIncomeTooHigh] && high.paymentToIncomeBp == 5036)
    let none = policy.evaluate(Self.input(income: nil))
    #expect(none.reasonCodes == [.incomeNotVerifiable] && none.paymentToIncomeBp == 0)
  }
}

import Foundation
import WirebankContracts

extension ScoringPolicy {
  /// INCOME_VERIFIABLE: a positive declared income in the loan's currency.
  func incomeRule(_ input: Input) -> ScoringDecision.RuleResult {
    let income = input.applicant.monthlyIncome
    let currency = input.terms.principal?.currency ?? ""
    let passed = verifiableIncome(input) != nil
    let explanation =
      if income == nil { "no monthly income declared" } else if passed {
        "monthly income declared in \(currency)"
      } else if (income?.amountMinor ?? 0) <= 0 { "declared monthly income is zero" } else {
        "income in \(income?.currency ?? "?") cannot be compared with a loan in \(currency)"
      }
    return RuleOutcome.make(
      "INCOME_VERIFIABLE", passed: passed, failing: .incomeNotVerifiable, explanation,
      [
        "income_minor": String(income?.amountMinor ?? 0), "income_currency": income?.currency ?? "",
        "loan_currency": currency,
      ])
  }

  /// AGE_RANGE: the applicant's age on the day of submission.
  func ageRule(_ input: Input) -> ScoringDecision.RuleResult {
    guard let age = age(of: input.applicant, on: input.submittedAt) else {
      return RuleOutcome.make(
        "AGE_RANGE", passed: false, failing: .ageOutOfRange, "no valid birth date", [:])
    }
    let passed = (minimumAge...maximumAge).contains(age)
    return RuleOutcome.make(
      "AGE_RANGE", passed: passed, failing: .ageOutOfRange,
      "age \(age) \(passed ? "within" : "outside") \(minimumAge)–\(maximumAge)",
      ["age": String(age), "min_age": String(minimumAge), "max_age": String(maximumAge)])
  }

  /// PRODUCT_TERMS: an active product in the loan's currency, principal and term in its limits.
  func termsRule(_ input: Input) -> ScoringDecision.RuleResult {
    let principal = input.terms.principal ?? CommonMoney()
    let term = Int(input.terms.termMonths)
    var inputs = [
      "product_code": input.terms.productCode, "principal_minor": String(principal.amountMinor),
      "term_months": String(term),
    ]
    guard let product = input.product, product.active else {
      return RuleOutcome.make(
        "PRODUCT_TERMS", passed: false, failing: .termsOutOfRange,
        "product \(input.terms.productCode) does not exist or takes no new loans", inputs)
    }
    let minimum = product.minPrincipal?.amountMinor ?? 0
    let maximum = product.maxPrincipal?.amountMinor ?? 0
    inputs["min_principal_minor"] = String(minimum)
    inputs["max_principal_minor"] = String(maximum)
    inputs["min_term_months"] = String(product.minTermMonths)
    inputs["max_term_months"] = String(product.maxTermMonths)
    var faults: [String] = []
    if principal.currency != product.currency {
      faults.append("currency is not \(product.currency)")
    }
    if principal.amountMinor < minimum || principal.amountMinor > maximum {
      faults.append("principal \(principal.amountMinor) outside \(minimum)–\(maximum)")
    }
    if term < Int(product.minTermMonths) || term > Int(product.maxTermMonths) {
      faults.append(
        "term \(term) outside \(product.minTermMonths)–\(product.maxTermMonths) months")
    }
    return RuleOutcome.make(
      "PRODUCT_TERMS", passed: faults.isEmpty, failing: .termsOutOfRange,
      faults.isEmpty ? "terms within the product's limits" : faults.joined(separator: "; "),
      inputs)
  }

  /// OPEN_AGREEMENTS_LIMIT: fewer open agreements than the limit.
  func openAgreementsRule(_ input: Input) -> ScoringDecision.RuleResult {
    let open = input.history.openAgreements.count
    let passed = open < maximumOpenAgreements
    return RuleOutcome.make(
      "OPEN_AGREEMENTS_LIMIT", passed: passed, failing: .tooManyActiveAgreements,
      "\(open) open agreements \(passed ? "<" : ">=") limit \(maximumOpenAgreements)",
      ["open_agreements": String(open), "limit": String(maximumOpenAgreements)])
  }

  /// NO_CURRENT_ARREARS: nothing past due today.
  func currentArrearsRule(_ input: Input) -> ScoringDecision.RuleResult {
    let days = Int(input.history.maxDaysPastDue)
    let arrears = input.history.openAgreements.reduce(Int64(0)) {
      $0 + ($1.arrears?.amountMinor ?? 0)
    }
    let passed = days == 0 && arrears == 0
    return RuleOutcome.make(
      "NO_CURRENT_ARREARS", passed: passed, failing: .currentArrears,
      passed ? "no payment past due" : "\(arrears) past due, \(days) days",
      ["days_past_due": String(days), "arrears_minor": String(arrears)])
  }

  /// NO_SERIOUS_PAST_ARREARS: never as late as `seriousDaysPastDue`.
  func pastArrearsRule(_ input: Input) -> ScoringDecision.RuleResult {
    let worst = Int(input.history.maxDaysPastDueEver)
    let passed = worst < seriousDaysPastDue
    return RuleOutcome.make(
      "NO_SERIOUS_PAST_ARREARS", passed: passed, failing: .pastArrears,
      "worst lateness \(worst) days \(passed ? "<" : ">=") \(seriousDaysPastDue)",
      ["max_days_past_due_ever": String(worst), "limit_days": String(seriousDaysPastDue)])
  }

  /// PTI_LIMIT: (existing monthly payments + the proposed one) / monthly income.
  func paymentToIncome(_ input: Input) -> (rule: ScoringDecision.RuleResult, basisPoints: Int?) {
    let currency = input.terms.principal?.currency ?? ""
    let limit = maximumPaymentToIncomeBasisPoints
    guard let income = verifiableIncome(input) else {
      return (
        RuleOutcome.make(
          "PTI_LIMIT", passed: false, failing: .incomeNotVerifiable,
          "payment-to-income cannot be computed without a verifiable income",
          ["limit_bp": String(limit)]), nil
      )
    }
    guard let proposed = input.history.ptiInputs?.proposedMonthlyPayment,
      proposed.currency == currency
    else {
      return (
        RuleOutcome.make(
          "PTI_LIMIT", passed: false, failing: .termsOutOfRange,
          "the Product Engine could not price the proposed terms", ["limit_bp": String(limit)]),
        nil
      )
    }
    let existing = (input.history.ptiInputs?.existingMonthlyPayments ?? [])
      .filter { $0.currency == currency }.reduce(Int64(0)) { $0 + $1.amountMinor }
    let payments = Int128(existing) + Int128(proposed.amountMinor)
    // Half-up: ⌊(2·payments·10000 + income) / (2·income)⌋, in integers.
    let ratio = (2 * payments * 10_000 + Int128(income)) / (2 * Int128(income))
    let basisPoints = Int(clamping: ratio)
    let passed = basisPoints <= limit
    return (
      RuleOutcome.make(
        "PTI_LIMIT", passed: passed, failing: .paymentToIncomeTooHigh,
        "payment-to-income \(percent(basisPoints)) \(passed ? "<=" : ">") limit \(percent(limit))",
        [
          "pti_bp": String(basisPoints), "limit_bp": String(limit),
          "existing_payments_minor": String(existing),
          "proposed_payment_minor": String(proposed.amountMinor), "income_minor": String(income),
        ]), basisPoints
    )
  }

  /// The declared income in minor units when positive and in the loan's currency.
  func verifiableIncome(_ input: Input) -> Int64? {
    guard let income = input.applicant.monthlyIncome, income.amountMinor > 0,
      income.currency == input.terms.principal?.currency
    else { return nil }
    return income.amountMinor
  }

  /// Whole years from the birth date to `date` (UTC), or nil without a valid birth date.
  func age(of applicant: LendingApplicant, on date: Date) -> Int? {
    guard let birth = applicant.birthDate, (1...12).contains(birth.month),
      (1...31).contains(birth.day)
    else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
    let today = calendar.dateComponents([.year, .month, .day], from: date)
    guard let year = today.year, let month = today.month, let day = today.day else { return nil }
    let hadBirthday = (month, day) >= (Int(birth.month), Int(birth.day))
    return year - Int(birth.year) - (hadBirthday ? 0 : 1)
  }
}

import WirebankContracts

/// Applications, decisions, agreements and schedules as indented lines for people.
enum ApplicationText {
  static func lines(_ application: OriginationApplication, rules: Bool = false) -> [String] {
    let applicant = application.applicant ?? LendingApplicant()
    let document = applicant.identityDocument ?? LendingIdentityDocument()
    let terms = application.terms ?? LendingLoanTerms()
    var lines = [
      "  application  \(application.applicationId)",
      "  status       \(LendingText.status(application.status))",
      "  applicant    \(fullName(applicant)), born "
        + "\(LendingText.date(applicant.birthDate)), document \(document.issuingCountry) "
        + "\(document.series) \(document.number)",
      "  income       \(LendingText.money(applicant.monthlyIncome)) a month",
      "  loan         \(terms.productCode) \(LendingText.money(terms.principal)) over "
        + "\(terms.termMonths) months",
      "  created      \(LendingText.timestamp(application.createdAt)), updated "
        + LendingText.timestamp(application.updatedAt),
    ]
    if let decision = application.decision {
      let outcome = LendingText.name(decision.outcome, prefix: "DECISION_OUTCOME_")
      let codes = decision.reasonCodes.map(LendingText.reason).joined(separator: ", ")
      lines.append(
        "  decision     \(outcome)" + (codes.isEmpty ? "" : ": \(codes)")
          + " (policy \(decision.policyVersion), payment-to-income "
          + "\(Double(decision.paymentToIncomeBp) / 100)%)")
      if rules {
        for rule in decision.rules {
          lines.append("    \(rule.passed ? "pass" : "FAIL")  \(rule.ruleId): \(rule.explanation)")
        }
      }
    }
    if !application.cancelReason.isEmpty {
      lines.append("  cancelled    \(application.cancelReason)")
    }
    if !application.agreementId.isEmpty {
      lines.append("  agreement    \(application.agreementId)")
    }
    return lines
  }

  static func fullName(_ applicant: LendingApplicant) -> String {
    [applicant.firstName, applicant.middleName, applicant.lastName].filter { !$0.isEmpty }
      .joined(separator: " ")
  }

  static func lines(
    _ agreement: ProductEngineAgreement, _ schedule: ProductEngineSchedule, full: Bool
  ) -> [String] {
    let lines = [
      "  agreement \(LendingText.agreementStatus(agreement.status)): \(agreement.annualRateBp / 100)."
        + "\(agreement.annualRateBp % 100 < 10 ? "0" : "")\(agreement.annualRateBp % 100)% a year, "
        + "\(LendingText.money(agreement.monthlyPayment)) a month; interest "
        + "\(LendingText.money(schedule.totalInterest)), total \(LendingText.money(schedule.totalPayable))"
    ]
    var table = TextTable(
      headers: ["#", "due", "payment", "principal", "interest", "remaining"],
      rightAligned: [0, 2, 3, 4, 5])
    let entries = schedule.entries
    for (index, entry) in entries.enumerated()
    where full || index < 3 || index == entries.count - 1 {
      if !full && index == entries.count - 1 && entries.count > 4 { table.add(["…"]) }
      table.add([
        String(entry.periodNumber), LendingText.date(entry.dueDate),
        LendingText.money(entry.total, currency: false),
        LendingText.money(entry.principal, currency: false),
        LendingText.money(entry.interest, currency: false),
        LendingText.money(entry.remainingPrincipal, currency: false),
      ])
    }
    return lines + table.render(indent: "    ")
  }
}

import Foundation
import WirebankContracts

/// The demo's closing summary: one row per application (status, agreement, first two
/// payments), the counts, the checks that must hold, and submit → agreement latency.
struct DemoReport {
  let results: [DemoResult]

  /// Prints the summary; returns the problems found (none when everything holds).
  func print() -> [String] {
    Console.line("")
    Console.line("Applications (amounts in RUB; payments are due date and amount):")
    var table = TextTable(
      headers: [
        "#", "applicant", "product", "principal", "months", "status", "agreement", "payment 1",
        "payment 2", "note",
      ],
      rightAligned: [0, 3, 4])
    for result in results { table.add(row(result)) }
    for line in table.render(indent: "  ") { Console.line(line) }
    Console.line("")
    let problems = checks()
    for line in counts() + latency() { Console.line(line) }
    if problems.isEmpty {
      Console.line(
        "checks: every application final; one agreement per accepted application; "
          + "every schedule sums back to its principal — all hold")
    } else {
      Console.line("checks FAILED:")
      for problem in problems { Console.line("  - \(problem)") }
    }
    return problems
  }

  private func row(_ result: DemoResult) -> [String] {
    let application = result.application
    let final = result.final
    let entries = result.schedule?.entries ?? []
    func payment(_ index: Int) -> String {
      guard index < entries.count else { return "—" }
      return LendingText.date(entries[index].dueDate) + "  "
        + LendingText.money(entries[index].total, currency: false)
    }
    return [
      String(application.number), application.name, application.terms.productCode,
      LendingText.money(application.terms.principal, currency: false),
      String(application.terms.termMonths),
      final.map { LendingText.status($0.status) } ?? "NOT SUBMITTED",
      LendingText.shortID(final?.agreementId ?? ""), payment(0), payment(1), note(result),
    ]
  }

  private func note(_ result: DemoResult) -> String {
    var parts: [String] = []
    if let failure = result.failure { parts.append("submission failed: \(failure)") }
    if let final = result.final, final.status == .rejected {
      let codes = final.decision?.reasonCodes.map(LendingText.reason) ?? []
      parts.append(codes.joined(separator: ", "))
    }
    if let outcome = result.cancelOutcome { parts.append(outcome) }
    if let outcome = result.repeatOutcome { parts.append(outcome) }
    if !result.application.intent.isEmpty { parts.append("(\(result.application.intent))") }
    return parts.joined(separator: " ")
  }

  private var finals: [OriginationApplication] { results.compactMap(\.final) }

  private func counts() -> [String] {
    let calls = results.reduce(0) { total, result in
      total
        + (result.application.plan == .retriedWithSameKey
          || result.application.plan == .submittedTwice ? 2 : 1)
    }
    let stored = Set(
      results.flatMap { [$0.applicationID, $0.extraApplicationID] }.compactMap { $0 })
    let absorbed = results.filter { ($0.repeatOutcome ?? "").hasSuffix("same application") }.count
    var lines = [
      "submitted: \(results.count) applications in \(calls) calls → \(stored.count) stored "
        + "(\(absorbed) repeated calls returned the existing application)"
    ]
    var byStatus: [OriginationApplicationStatus: Int] = [:]
    for application in finals { byStatus[application.status, default: 0] += 1 }
    lines.append(
      "statuses: "
        + DemoDriver.shownStatuses.filter { byStatus[$0] != nil }
        .map { "\(LendingText.status($0)) \(byStatus[$0] ?? 0)" }.joined(separator: " · "))
    var reasons: [String: Int] = [:]
    for application in finals where application.status == .rejected {
      for code in application.decision?.reasonCodes ?? [] {
        reasons[LendingText.reason(code), default: 0] += 1
      }
    }
    if !reasons.isEmpty {
      lines.append(
        "rejected for: "
          + reasons.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
          .map { "\($0.key) \($0.value)" }.joined(separator: " · "))
    }
    return lines
  }

  private func latency() -> [String] {
    let seconds = finals.filter { $0.status == .agreementCreated }.compactMap {
      application -> Double? in
      guard let created = application.createdAt, let updated = application.updatedAt else {
        return nil
      }
      return LendingText.instant(updated).timeIntervalSince(LendingText.instant(created))
    }
    guard let p50 = LendingText.percentile(50, of: seconds),
      let p99 = LendingText.percentile(99, of: seconds)
    else { return [] }
    return [
      "submit → agreement (\(seconds.count) agreements, server timestamps): "
        + "p50 \(LendingText.milliseconds(p50)) · p99 \(LendingText.milliseconds(p99)) · "
        + "max \(LendingText.milliseconds(seconds.max() ?? 0))",
      "  (the seeds' jobs polled every 30 s: up to 30 s per hop, two hops from submit to agreement)",
    ]
  }

  /// What must hold: every application final, one distinct agreement per AGREEMENT_CREATED
  /// application, each schedule with one entry per month summing back to the principal.
  private func checks() -> [String] {
    var problems: [String] = []
    var agreements: Set<String> = []
    for result in results {
      let number = result.application.number
      guard let final = result.final else {
        problems.append("#\(number) was not stored: \(result.failure ?? "?")")
        continue
      }
      guard DemoDriver.finalStatuses.contains(final.status) else {
        problems.append("#\(number) ended \(LendingText.status(final.status))")
        continue
      }
      if (result.repeatOutcome ?? "").contains("bug") {
        problems.append("#\(number): \(result.repeatOutcome ?? "")")
      }
      guard final.status == .agreementCreated else {
        if !final.agreementId.isEmpty { problems.append("#\(number) has an agreement") }
        continue
      }
      if !agreements.insert(final.agreementId).inserted {
        problems.append("#\(number) shares agreement \(final.agreementId)")
      }
      guard let schedule = result.schedule else {
        problems.append("#\(number) has no schedule")
        continue
      }
      let principal = schedule.entries.reduce(Int64(0)) { $0 + ($1.principal?.amountMinor ?? 0) }
      let total = schedule.entries.reduce(Int64(0)) { $0 + ($1.total?.amountMinor ?? 0) }
      if principal != final.terms?.principal?.amountMinor
        || schedule.entries.count != Int(final.terms?.termMonths ?? 0)
        || total != schedule.totalPayable?.amountMinor
      {
        problems.append("#\(number): the schedule does not sum back to the loan")
      }
    }
    return problems
  }
}

import Foundation
import WirebankContracts

/// Scoring's rule set: each rule looks at a few named inputs, passes or fails with one reason
/// code, and explains itself in a sentence. Pure: no database, no clock, no network, so every
/// rule is tested on its own.
public struct ScoringPolicy: Sendable, Hashable {
  /// The rule set's version, carried by every decision.
  public var version = "2025-01-01"
  /// Youngest age accepted at submission, in whole years.
  public var minimumAge = 21
  /// Oldest age accepted at submission, in whole years.
  public var maximumAge = 70
  /// Open agreements a client may already hold (CREATED, PAYMENT_PENDING, ACTIVE).
  public var maximumOpenAgreements = 3
  /// Days past due, ever, from which lateness counts as serious.
  public var seriousDaysPastDue = 30
  /// Largest share of income the monthly payments may take, in basis points.
  public var maximumPaymentToIncomeBasisPoints = 5000

  /// The default policy.
  public init() {}

  /// What a decision is made from.
  public struct Input: Sendable {
    /// The applicant as submitted.
    public var applicant: LendingApplicant
    /// The requested terms.
    public var terms: LendingLoanTerms
    /// When the application was submitted (ages are taken on that day, UTC).
    public var submittedAt: Date
    /// The client's history from the Product Engine.
    public var history: ProductEngineGetClientHistoryResponse
    /// The requested product, or nil when the Product Engine does not know it.
    public var product: ProductEngineProduct?

    /// An input with the given parts.
    public init(
      applicant: LendingApplicant, terms: LendingLoanTerms, submittedAt: Date,
      history: ProductEngineGetClientHistoryResponse, product: ProductEngineProduct?
    ) {
      self.applicant = applicant
      self.terms = terms
      self.submittedAt = submittedAt
      self.history = history
      self.product = product
    }
  }

  /// Evaluates every rule, in order, and decides: approved when all pass. The decision's id,
  /// application id and time are left for the caller to set.
  public func evaluate(_ input: Input) -> ScoringDecision {
    let pti = paymentToIncome(input)
    let rules = [
      incomeRule(input), ageRule(input), termsRule(input), openAgreementsRule(input),
      currentArrearsRule(input), pastArrearsRule(input), pti.rule,
    ]
    var decision = ScoringDecision()
    decision.rules = rules
    var codes: [ScoringReasonCode] = []
    for rule in rules where !rule.passed && !codes.contains(rule.reasonCode) {
      codes.append(rule.reasonCode)
    }
    decision.reasonCodes = codes
    decision.outcome = codes.isEmpty ? .approved : .rejected
    decision.paymentToIncomeBp = Int32(clamping: pti.basisPoints ?? 0)
    decision.policyVersion = version
    return decision
  }
}

/// One rule's result, built fluently by the rules.
struct RuleOutcome {
  static func make(
    _ id: String, passed: Bool, failing code: ScoringReasonCode, _ explanation: String,
    _ inputs: [String: String]
  ) -> ScoringDecision.RuleResult {
    var result = ScoringDecision.RuleResult()
    result.ruleId = id
    result.passed = passed
    result.reasonCode = passed ? .unspecified : code
    result.explanation = explanation
    result.inputs = inputs
    return result
  }
}

/// Basis points as a percentage with two decimals: 5210 → "52.10%".
func percent(_ basisPoints: Int) -> String {
  let sign = basisPoints < 0 ? "-" : ""
  let magnitude = abs(basisPoints)
  let fraction = magnitude % 100
  return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)%"
}

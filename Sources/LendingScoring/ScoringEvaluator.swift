import Foundation
import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC
import WirebankServiceSupport

/// Decides an application: the client's history and the product from the Product Engine, then
/// the policy. Used by the service, which decides within the call that receives an application
/// when it can, and by the `evaluate_application` job, which decides the others.
struct ScoringEvaluator: Sendable {
  let policy: ScoringPolicy
  let productEngine: ProductEngine.Client
  let clock: any WallClock
  /// The products evaluations use, as the Product Engine last described them.
  let products = ProductCache()

  /// The decision on `request` (as evaluated: see `ScoredApplication.evaluated`), with a new
  /// decision id, and when it was made; `options.timeout` bounds the calls together.
  /// - Throws: the Product Engine's errors (`RPCError`).
  func decide(_ request: ScoringScoreApplicationRequest, options: CallOptions) async throws
    -> (decision: ScoringDecision, at: Date)
  {
    var historyRequest = ProductEngineGetClientHistoryRequest()
    historyRequest.client = .identityDocument(
      request.applicant?.identityDocument ?? LendingIdentityDocument())
    historyRequest.proposedTerms = request.terms
    let start = ContinuousClock.now
    let history = try await productEngine.getClientHistory(historyRequest, options: options)
    // `options.timeout` bounds the whole decision, not each call.
    var rest = options
    rest.timeout = options.timeout.map { max(.zero, $0 - (ContinuousClock.now - start)) }
    let product = try await product(request.terms?.productCode ?? "", options: rest)
    var decision = policy.evaluate(
      ScoringPolicy.Input(
        applicant: request.applicant ?? LendingApplicant(),
        terms: request.terms ?? LendingLoanTerms(),
        submittedAt: request.submittedAt?.date ?? clock.now(), history: history,
        product: product))
    let now = clock.now().truncatedToMicroseconds
    decision.decisionId = UUID.random().uuidString.lowercased()
    decision.applicationId = request.applicationId
    decision.decidedAt = Google_Protobuf_Timestamp(now)
    return (decision, now)
  }

  /// Logs a decision made.
  static func log(_ decision: ScoringDecision, to logger: Logger) {
    logger.info(
      "application decided",
      metadata: [
        "application_id": "\(decision.applicationId)",
        "outcome": "\(decision.outcome.protoName ?? "?")",
        "reasons": "\(decision.reasonCodes.compactMap(\.protoName))",
        "pti_bp": "\(decision.paymentToIncomeBp)",
      ])
  }

  /// The product from the Product Engine (kept a minute), or nil when it does not exist.
  private func product(_ code: String, options: CallOptions) async throws
    -> ProductEngineProduct?
  {
    try await products.product(code) {
      var request = ProductEngineGetProductRequest()
      request.productCode = code
      do {
        return try await productEngine.getProduct(request, options: options)
      } catch let error as RPCError where error.code == .notFound {
        return nil
      }
    }
  }
}

import Foundation
import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// Scoring's durable jobs:
/// - `evaluate_application`: reads the client's history from the Product Engine, applies the
///   policy, and stores the decision with its `report_decision` job in one transaction;
/// - `report_decision`: tells Origination, retrying until it has the decision (Origination
///   deduplicates on the decision id). The job carries the decision, so it reads nothing.
struct ScoringJobs: Sendable {
  static let evaluate = "evaluate_application"
  static let report = "report_decision"
  /// Attempts per job before it is declared dead (with the default back-off, hours of retries).
  static let attempts = 500

  let store: ScoringStore
  let policy: ScoringPolicy
  let productEngine: ProductEngine.Client
  let origination: Origination.Client
  let clock: any WallClock
  let callOptions: CallOptions
  /// The queue the report jobs go to (the worker's).
  let queue: String
  /// The products evaluations use, as the Product Engine last described them.
  let products = ProductCache()

  /// The job of `kind` for application `id`; one per application and kind.
  static func job(_ kind: String, application id: String, queue: String) -> NewJob {
    NewJob(
      kind: kind, payload: Array(id.utf8), queue: queue, uniqueKey: "\(kind):\(id)",
      maxAttempts: attempts)
  }

  /// The job that reports `decision`, which it carries as its payload.
  static func reportJob(_ decision: ScoringDecision, queue: String) throws -> NewJob {
    NewJob(
      kind: report, payload: try decision.serializedBytes(), queue: queue,
      uniqueKey: "\(report):\(decision.applicationId)", maxAttempts: attempts)
  }

  var handlers: [String: JobHandler] {
    [
      Self.evaluate: { try await evaluate($0) },
      Self.report: { try await report($0) },
    ]
  }

  /// Evaluates a RECEIVED application and stores the decision with its report job.
  func evaluate(_ context: JobContext) async throws {
    let id = String(decoding: context.job.payload, as: UTF8.self)
    guard let application = try await store.application(id) else {
      context.logger.error("evaluation job names no known application; dropped")
      return
    }
    guard application.decision == nil else { return }
    let request = application.request
    var historyRequest = ProductEngineGetClientHistoryRequest()
    historyRequest.client = .identityDocument(
      request.applicant?.identityDocument ?? LendingIdentityDocument())
    historyRequest.proposedTerms = request.terms
    let history = try await productEngine.getClientHistory(historyRequest, options: callOptions)
    let product = try await product(request.terms?.productCode ?? "")
    var decision = policy.evaluate(
      ScoringPolicy.Input(
        applicant: request.applicant ?? LendingApplicant(),
        terms: request.terms ?? LendingLoanTerms(),
        submittedAt: request.submittedAt?.date ?? application.receivedAt, history: history,
        product: product))
    let now = clock.now().truncatedToMicroseconds
    decision.decisionId = UUID().uuidString.lowercased()
    decision.applicationId = id
    decision.decidedAt = Google_Protobuf_Timestamp(now)
    // The report job is enqueued only if this decision is the one recorded.
    try await context.complete(
      with: try ScoringStore.recordDecision(decision, at: now),
      enqueueing: [try Self.reportJob(decision, queue: queue)])
    context.logger.info(
      "application decided",
      metadata: [
        "application_id": "\(id)", "outcome": "\(decision.outcome.protoName ?? "?")",
        "reasons": "\(decision.reasonCodes.compactMap(\.protoName))",
        "pti_bp": "\(decision.paymentToIncomeBp)",
      ])
  }

  /// Reports a decision to Origination.
  func report(_ context: JobContext) async throws {
    guard let decision = try await reportedDecision(context.job.payload) else {
      context.logger.error("report job names no decided application; dropped")
      return
    }
    let id = decision.applicationId
    var request = OriginationReportDecisionRequest()
    request.decision = decision
    do {
      let response = try await origination.reportDecision(request, options: callOptions)
      context.logger.debug(
        "decision reported",
        metadata: [
          "application_id": "\(id)", "status": "\(response.status.protoName ?? "?")",
          "replay": "\(response.alreadyRecorded)",
        ])
    } catch let error as RPCError where error.code == .alreadyExists {
      // Origination holds another decision for this application: retrying cannot change that.
      context.logger.error(
        "origination refused the decision: the application was decided before",
        metadata: ["application_id": "\(id)", "error": "\(error)"])
    }
  }

  /// The decision a report job carries; for a job enqueued before decisions travelled with it
  /// (its payload is the application id), the one stored.
  private func reportedDecision(_ payload: [UInt8]) async throws -> ScoringDecision? {
    let text = String(decoding: payload, as: UTF8.self)
    if UUID(uuidString: text) != nil { return try await store.application(text)?.decision }
    return try ScoringDecision(serializedBytes: payload)
  }

  /// The product from the Product Engine (kept a minute), or nil when it does not exist.
  private func product(_ code: String) async throws -> ProductEngineProduct? {
    try await products.product(code) {
      var request = ProductEngineGetProductRequest()
      request.productCode = code
      do {
        return try await productEngine.getProduct(request, options: callOptions)
      } catch let error as RPCError where error.code == .notFound {
        return nil
      }
    }
  }
}

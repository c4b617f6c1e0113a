import Foundation
import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankProtobuf
import WirebankRPC
import WirebankServiceSupport

/// Scoring's durable jobs, for the applications it could not decide within the call that
/// brought them (see `ScoringService`):
/// - `evaluate_application`: reads the client's history from the Product Engine, applies the
///   policy, and stores the decision with its `report_decision` job in one statement;
/// - `report_decision`: tells Origination, retrying until it has the decision (Origination
///   deduplicates on the decision id).
///
/// Each job carries what it works on (the request, the decision) as a payload of a zero byte and
/// the message's bytes, so it reads nothing; a job enqueued before that carries the application
/// id as text (ids hold no U+0000) and reads the table.
struct ScoringJobs: Sendable {
  static let evaluate = "evaluate_application"
  static let report = "report_decision"
  /// Attempts per job before it is declared dead (with the default back-off, hours of retries).
  static let attempts = 500

  let store: ScoringStore
  let evaluator: ScoringEvaluator
  let origination: Origination.Client
  let callOptions: CallOptions
  /// The queue the report jobs go to (the worker's).
  let queue: String

  /// The job that evaluates `request`, received at `receivedAt` (its submission time when it
  /// names none); one per application.
  static func evaluationJob(
    _ request: ScoringScoreApplicationRequest, receivedAt: Date, queue: String
  ) throws -> NewJob {
    let carried = ScoredApplication(request: request, receivedAt: receivedAt, decision: nil)
    return try job(
      evaluate, carrying: carried.evaluated, application: request.applicationId, queue: queue)
  }

  /// The job that reports `decision`; one per application.
  static func reportJob(_ decision: ScoringDecision, queue: String) throws -> NewJob {
    try job(report, carrying: decision, application: decision.applicationId, queue: queue)
  }

  private static func job(
    _ kind: String, carrying message: some ProtobufMessage, application id: String, queue: String
  ) throws -> NewJob {
    NewJob(
      kind: kind, payload: try CarriedMessage.payload(message), queue: queue,
      uniqueKey: "\(kind):\(id)", maxAttempts: attempts)
  }

  var handlers: [String: JobHandler] {
    [
      Self.evaluate: { try await evaluate($0) },
      Self.report: { try await report($0) },
    ]
  }

  /// Evaluates a RECEIVED application and stores the decision with its report job (nothing
  /// when it was decided already).
  func evaluate(_ context: JobContext) async throws {
    guard let request = try await evaluatedRequest(context) else { return }
    let (decision, now) = try await evaluator.decide(request, options: callOptions)
    // The report job is enqueued only if this decision is the one recorded.
    try await context.complete(
      with: try ScoringStore.recordDecision(decision, at: now),
      enqueueing: [try Self.reportJob(decision, queue: queue)])
    ScoringEvaluator.log(decision, to: context.logger)
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

  /// The request an evaluation job carries, or the stored one of the application it names
  /// (nil when there is none or it is decided already).
  private func evaluatedRequest(_ context: JobContext) async throws
    -> ScoringScoreApplicationRequest?
  {
    let payload = context.job.payload
    if let request = try CarriedMessage.message(ScoringScoreApplicationRequest.self, in: payload) {
      return request
    }
    guard let stored = try await store.application(String(decoding: payload, as: UTF8.self))
    else {
      context.logger.error("evaluation job names no known application; dropped")
      return nil
    }
    return stored.decision == nil ? stored.evaluated : nil
  }

  /// The decision a report job carries, or the stored one of the application it names.
  private func reportedDecision(_ payload: [UInt8]) async throws -> ScoringDecision? {
    if let decision = try CarriedMessage.message(ScoringDecision.self, in: payload) {
      return decision
    }
    return try await store.application(String(decoding: payload, as: UTF8.self))?.decision
  }
}

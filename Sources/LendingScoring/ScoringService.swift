import WirebankServiceSupport
import Foundation
import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// Scoring: receives applications and evaluates them with explainable rules (`ScoringPolicy`).
/// It decides within the call that brings an application when the Product Engine answers in
/// time (the caller gets the decision in the answer); otherwise it acknowledges the
/// application and evaluates it in a durable job (`ScoringJobs`), reporting the decision back
/// to Origination.
///
/// Transport-independent: register it with any server (or an `InProcessTransport`).
public struct ScoringService: Scoring.ServiceProtocol {
  /// The `ErrorInfo.domain` of this service's errors.
  public static let errorDomain = "scoring.lending.wirebank"

  let store: ScoringStore
  let clock: any WallClock
  let logger: Logger
  let jobQueue: String
  /// Decides within the call when set (the runtime sets it), with these options for the calls
  /// to the Product Engine.
  var inline: (evaluator: ScoringEvaluator, options: CallOptions)?

  /// A service on `pool` (migrated with `ScoringMigrations`).
  /// - Parameters:
  ///   - clock: the service clock (reception times).
  ///   - jobQueue: the queue of the runtime's job worker.
  ///   - dispatcher: starts the jobs the service enqueues on that worker at once.
  public init(
    pool: PostgresPool, clock: any WallClock = SystemWallClock(), logger: Logger,
    jobQueue: String = ScoringRuntime.defaultJobQueue, dispatcher: JobDispatcher? = nil
  ) {
    store = ScoringStore(pool: pool, dispatcher: dispatcher)
    self.clock = clock
    self.logger = logger
    self.jobQueue = jobQueue
  }

  /// Decides the application and stores it with its decision, when the caller asks for that
  /// (`decide_now`: it records the decision from the answer) and the Product Engine answers in
  /// time; otherwise stores it as RECEIVED and enqueues its evaluation, whose decision is
  /// reported. Once per application id: a repeated call answers with the current state (and
  /// the decision once made). With `only_if_received`, an application not received before
  /// fails with NOT_FOUND and is not received.
  public func scoreApplication(_ request: ScoringScoreApplicationRequest, context: ServerContext)
    async throws -> ScoringScoreApplicationResponse
  {
    do {
      try validate(request)
      if request.onlyIfReceived {
        return try await stored(
          request,
          missing: RPCError.detailed(
            .notFound, "this application was not received", reason: "APPLICATION_NOT_RECEIVED",
            domain: Self.errorDomain,
            metadata: ["application_id": String(request.applicationId.prefix(128))]))
      }
      let now = clock.now().truncatedToMicroseconds
      if let decision = await decideInline(request, receivedAt: now) {
        if try await store.insert(
          request, at: now, decided: decision.decision, decidedAt: decision.at)
        {
          ScoringEvaluator.log(decision.decision, to: logger)
          return ScoredApplication(request: request, receivedAt: now, decision: decision.decision)
            .response
        }
        return try await stored(request)
      }
      let job = try ScoringJobs.evaluationJob(request, receivedAt: now, queue: jobQueue)
      if try await store.insert(request, at: now, enqueueing: job) {
        logger.debug(
          "application received", metadata: ["application_id": "\(request.applicationId)"])
        return ScoredApplication(request: request, receivedAt: now, decision: nil).response
      }
      return try await stored(request)
    } catch let error as PostgresError {
      logger.error("database error", metadata: ["error": "\(error)"])
      throw RPCError.fromDatabase(error, domain: Self.errorDomain)
    }
  }

  /// The decision on `request`, received at `receivedAt`, or nil when it cannot be made now.
  private func decideInline(_ request: ScoringScoreApplicationRequest, receivedAt: Date) async
    -> (decision: ScoringDecision, at: Date)?
  {
    guard request.decideNow, let inline else { return nil }
    let evaluated = ScoredApplication(request: request, receivedAt: receivedAt, decision: nil)
      .evaluated
    do {
      return try await inline.evaluator.decide(evaluated, options: inline.options)
    } catch {
      logger.info(
        "cannot decide now; the application is evaluated later",
        metadata: ["application_id": "\(request.applicationId)", "error": "\(error)"])
      return nil
    }
  }

  /// The answer for an application received before: its stored state, if `request` has the
  /// contents it had; `missing` when there is none.
  private func stored(
    _ request: ScoringScoreApplicationRequest,
    missing: @autoclosure () -> any Error = PostgresError(
      .unexpectedResponse, reason: "application vanished")
  ) async throws -> ScoringScoreApplicationResponse {
    guard let stored = try await store.application(request.applicationId) else {
      throw missing()
    }
    guard stored.request.applicant == request.applicant, stored.request.terms == request.terms
    else {
      throw RPCError.detailed(
        .failedPrecondition, "this application was received before with other contents",
        reason: "APPLICATION_MISMATCH", domain: Self.errorDomain,
        metadata: ["application_id": String(request.applicationId.prefix(128))])
    }
    return stored.response
  }

  private func validate(_ request: ScoringScoreApplicationRequest) throws {
    var violations = FieldViolations()
    if request.applicationId.isEmpty || request.applicationId.count > 128 {
      violations.add("application_id", "is required (at most 128 characters)")
    }
    if request.applicant?.identityDocument == nil {
      violations.add("applicant.identity_document", "is required")
    }
    if request.terms?.principal == nil { violations.add("terms.principal", "is required") }
    try violations.check(domain: Self.errorDomain)
  }
}

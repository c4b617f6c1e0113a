import WirebankServiceSupport
import Foundation
import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// Scoring: acknowledges applications synchronously and evaluates them in a durable job
/// (`ScoringJobs`) with explainable rules (`ScoringPolicy`), reporting each decision back to
/// Origination.
///
/// Transport-independent: register it with any server (or an `InProcessTransport`).
public struct ScoringService: Scoring.ServiceProtocol {
  /// The `ErrorInfo.domain` of this service's errors.
  public static let errorDomain = "scoring.lending.wirebank"

  let store: ScoringStore
  let clock: any WallClock
  let logger: Logger
  let jobQueue: String

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

  /// Stores the application and enqueues its evaluation, once per application id; a repeated
  /// call answers with the current state (and the decision once made).
  public func scoreApplication(_ request: ScoringScoreApplicationRequest, context: ServerContext)
    async throws -> ScoringScoreApplicationResponse
  {
    do {
      try validate(request)
      let now = clock.now().truncatedToMicroseconds
      let job = try ScoringJobs.evaluationJob(request, receivedAt: now, queue: jobQueue)
      if try await store.insert(request, at: now, enqueueing: job) {
        logger.debug(
          "application received", metadata: ["application_id": "\(request.applicationId)"])
        return ScoredApplication(request: request, receivedAt: now, decision: nil).response
      }
      guard let stored = try await store.application(request.applicationId) else {
        throw PostgresError(.unexpectedResponse, reason: "application vanished")
      }
      guard stored.request.applicant == request.applicant, stored.request.terms == request.terms
      else {
        throw RPCError.detailed(
          .failedPrecondition, "this application was received before with other contents",
          reason: "APPLICATION_MISMATCH", domain: Self.errorDomain,
          metadata: ["application_id": String(request.applicationId.prefix(128))])
      }
      return stored.response
    } catch let error as PostgresError {
      logger.error("database error", metadata: ["error": "\(error)"])
      throw RPCError.fromDatabase(error, domain: Self.errorDomain)
    }
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

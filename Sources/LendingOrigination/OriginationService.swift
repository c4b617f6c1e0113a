import WirebankServiceSupport
import Foundation
import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// Origination: the entry point for loan applications. Validates, deduplicates and stores every
/// application forever; its jobs (`OriginationJobs`) carry applications to Scoring and accepted
/// ones to the Product Engine.
///
/// Transport-independent: register it with any server (or an `InProcessTransport`).
public struct OriginationService: Origination.ServiceProtocol {
  /// The `ErrorInfo.domain` of this service's errors.
  public static let errorDomain = "origination.lending.wirebank"

  let store: OriginationStore
  let idempotencyKeys: IdempotencyKeys
  let clock: any WallClock
  let logger: Logger
  let jobQueue: String

  /// A service on `pool` (migrated with `OriginationMigrations`).
  /// - Parameters:
  ///   - clock: the service clock (creation and update times, idempotency-key expiry).
  ///   - jobQueue: the queue of the runtime's job worker.
  ///   - dispatcher: starts the jobs the service enqueues on that worker at once.
  public init(
    pool: PostgresPool, clock: any WallClock = SystemWallClock(), logger: Logger,
    jobQueue: String = OriginationRuntime.defaultJobQueue, dispatcher: JobDispatcher? = nil
  ) {
    store = OriginationStore(pool: pool, dispatcher: dispatcher)
    idempotencyKeys = IdempotencyKeys(pool: pool, clock: clock)
    self.clock = clock
    self.logger = logger
    self.jobQueue = jobQueue
  }

  var now: Date { clock.now().truncatedToMicroseconds }

  /// Returns one application; NOT_FOUND if unknown.
  public func getApplication(_ request: OriginationGetApplicationRequest, context: ServerContext)
    async throws -> OriginationApplication
  {
    try await translatingErrors {
      let id = try applicationID(request.applicationId)
      guard let application = try await store.application(id) else {
        throw notFound(request.applicationId)
      }
      return application.proto
    }
  }

  /// Lists applications newest first, filtered by status, document number or creation time.
  public func listApplications(
    _ request: OriginationListApplicationsRequest, context: ServerContext
  ) async throws -> OriginationListApplicationsResponse {
    try await translatingErrors {
      let status = request.status.flatMap(ApplicationStatus.init)
      if request.status != nil, status == nil {
        var violations = FieldViolations()
        violations.add("status", "must be a defined application status")
        try violations.check(domain: Self.errorDomain)
      }
      let number = request.identityDocumentNumber.map(normalizedDocumentPart)
      let createdAfter = request.createdAfter?.date
      let filters = PageToken.fingerprint([
        "applications", status?.rawValue ?? "", number ?? "",
        createdAfter.map { String($0.timeIntervalSince1970) } ?? "",
      ])
      var before: Int64?
      if let text = request.page?.pageToken, !text.isEmpty {
        guard let token = PageToken(encoded: text), token.filters == filters,
          let seq = Int64(token.position)
        else {
          var violations = FieldViolations()
          violations.add("page.page_token", "is not a token this list issued with these filters")
          try violations.check(domain: Self.errorDomain)
          return OriginationListApplicationsResponse()
        }
        before = seq
      }
      let size = PageToken.pageSize(request.page?.pageSize ?? 0)
      let applications = try await store.applications(
        status: status, documentNumber: number, createdAfter: createdAfter, beforeSeq: before,
        limit: size + 1)
      var response = OriginationListApplicationsResponse()
      response.applications = applications.prefix(size).map(\.proto)
      var page = CommonPageInfo()
      if applications.count > size, let last = applications.prefix(size).last {
        page.nextPageToken = PageToken(position: String(last.seq), filters: filters).encoded
      }
      response.page = page
      return response
    }
  }

  /// Cancels an application without an agreement yet (NEW, SCORING, ACCEPTED); REJECTED and
  /// AGREEMENT_CREATED ones fail with FAILED_PRECONDITION, APPLICATION_NOT_CANCELLABLE.
  public func cancelApplication(
    _ request: OriginationCancelApplicationRequest, context: ServerContext
  ) async throws -> OriginationApplication {
    try await translatingErrors {
      let id = try applicationID(request.applicationId)
      let now = self.now
      return try await store.pool.withTransaction { transaction in
        guard let application = try await store.application(id, locking: true, in: transaction)
        else { throw notFound(request.applicationId) }
        switch application.status {
        case .cancelled:
          return application.proto
        case .new, .scoring, .accepted:
          // An ACCEPTED application's agreement job sees the cancellation and, if it may have
          // asked the Product Engine already, asks again and cancels the agreement it gets.
          try await store.cancel(
            id, reason: String(request.reason.prefix(1000)), at: now, in: transaction)
          logger.info(
            "application cancelled",
            metadata: ["application_id": "\(id)", "was": "\(application.status.rawValue)"])
        case .rejected, .agreementCreated:
          throw RPCError.detailed(
            .failedPrecondition,
            "an application in \(application.status.rawValue) cannot be cancelled",
            reason: "APPLICATION_NOT_CANCELLABLE", domain: Self.errorDomain,
            metadata: [
              "application_id": application.idString, "status": application.status.rawValue,
            ])
        }
        guard let cancelled = try await store.application(id, in: transaction) else {
          throw notFound(request.applicationId)
        }
        return cancelled.proto
      }
    }
  }

  // MARK: Helpers

  func applicationID(_ text: String, field: String = "application_id") throws -> UUID {
    guard let id = UUID(uuidString: text) else {
      var violations = FieldViolations()
      violations.add(field, text.isEmpty ? "is required" : "must be an application id (a UUID)")
      try violations.check(domain: Self.errorDomain)
      throw RPCError(.invalidArgument, field)
    }
    return id
  }

  func notFound(_ id: String) -> RPCError {
    RPCError.detailed(
      .notFound, "no application with this id", reason: "APPLICATION_NOT_FOUND",
      domain: Self.errorDomain, metadata: ["application_id": String(id.prefix(128))])
  }

  /// Runs `body`, turning database and idempotency failures into statuses clients can act on.
  func translatingErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
    do {
      return try await body()
    } catch let error as RPCError {
      throw error
    } catch let error as IdempotencyError {
      throw Self.status(for: error)
    } catch let error as PostgresError {
      logger.error("database error", metadata: ["error": "\(error)"])
      throw RPCError.fromDatabase(error, domain: Self.errorDomain)
    }
  }

  static func status(for error: IdempotencyError) -> RPCError {
    switch error.code {
    case .requestMismatch:
      return RPCError.detailed(
        .failedPrecondition, error.reason, reason: "IDEMPOTENCY_KEY_REUSED", domain: errorDomain)
    case .invalidKey:
      var violations = FieldViolations()
      violations.add("idempotency_key", error.reason)
      return RPCError.detailed(
        .invalidArgument, "invalid request: idempotency_key", reason: "INVALID_ARGUMENT",
        domain: errorDomain, violations: violations.items)
    default:
      return RPCError.detailed(
        .aborted, error.reason, reason: "IDEMPOTENCY_KEY_IN_USE", domain: errorDomain)
    }
  }
}

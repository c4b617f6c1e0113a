import Foundation
import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC
import WirebankServiceSupport

/// Origination's durable jobs, enqueued in the transaction of the state change that needs them
/// and retried with back-off until the peer has answered:
/// - `applications_to_scoring`: hands the application to Scoring. Scoring answers with its
///   decision when it could decide within the call, which is recorded as a reported one is
///   (NEW → ACCEPTED with the next job, or REJECTED); otherwise NEW → SCORING, and the decision
///   comes later in Scoring's report;
/// - `accepted_applications_to_pe`: ACCEPTED → AGREEMENT_CREATED with the agreement's id, or,
///   for an application cancelled meanwhile, the agreement an attempt may have created
///   cancelled.
///
/// Both peers are idempotent on the application id, so a job that runs twice (its worker died
/// after the call) asks again and gets the same answer.
struct OriginationJobs: Sendable {
  static let toScoring = "applications_to_scoring"
  static let toProductEngine = "accepted_applications_to_pe"
  /// Attempts per job before it is declared dead (with the default back-off, hours of retries).
  static let attempts = 500

  let store: OriginationStore
  let scoring: Scoring.Client
  let productEngine: ProductEngine.Client
  let clock: any WallClock
  let callOptions: CallOptions
  /// The queue the agreement jobs go to (the worker's).
  let queue: String

  /// The job of `kind` for application `id`; one per application and kind.
  static func job(_ kind: String, application id: UUID, queue: String) -> NewJob {
    let text = id.uuidString.lowercased()
    return NewJob(
      kind: kind, payload: Array(text.utf8), queue: queue, uniqueKey: "\(kind):\(text)",
      maxAttempts: attempts)
  }

  /// The job that hands `application` to Scoring. It carries the request as a zero byte and the
  /// message's bytes (application ids, the older payload, hold no U+0000), so that its first
  /// attempt reads nothing.
  static func scoringJob(_ application: ApplicationRecord, queue: String) throws -> NewJob {
    var job = job(toScoring, application: application.id, queue: queue)
    job.payload = try CarriedMessage.payload(scoringRequest(for: application))
    return job
  }

  static func scoringRequest(for application: ApplicationRecord) -> ScoringScoreApplicationRequest {
    var request = ScoringScoreApplicationRequest()
    request.applicationId = application.idString
    request.applicant = application.applicant
    request.terms = application.terms
    request.submittedAt = Google_Protobuf_Timestamp(application.createdAt)
    // `sendToScoring` records a decision Scoring answers with.
    request.decideNow = true
    return request
  }

  static let purge = "purge_expired_keys"
  /// How long decision ids are remembered: far longer than Scoring retries a report.
  static let inboxRetention: TimeInterval = 30 * 86_400

  var handlers: [String: JobHandler] {
    [
      Self.toScoring: { try await sendToScoring($0) },
      Self.toProductEngine: { try await createAgreement($0) },
      Self.purge: { try await purgeExpired($0) },
    ]
  }

  /// Once an hour: forget expired idempotency keys and old inbox records.
  static let periodicJobs = [PeriodicJob(kind: purge, every: .seconds(3600))]

  func purgeExpired(_ context: JobContext) async throws {
    let keys = try await IdempotencyKeys(pool: store.pool, clock: clock).purgeExpired()
    let decisions = try await Inbox.purge(
      receivedBefore: clock.now().addingTimeInterval(-Self.inboxRetention), pool: store.pool)
    context.logger.debug(
      "expired records purged", metadata: ["keys": "\(keys)", "decisions": "\(decisions)"])
  }

  private var now: Date { clock.now().truncatedToMicroseconds }

  /// Hands a NEW application to Scoring and records the decision it answers with, or, when
  /// Scoring only acknowledged it, marks it SCORING.
  ///
  /// The first attempt sends the request the job carries: the application was NEW a moment
  /// before. A retry, perhaps minutes later, reads it first and hands nothing over if it left
  /// NEW (was cancelled); for a cancelled one without a decision it asks Scoring only for a
  /// decision an earlier attempt may have got and lost. An application cancelled within the
  /// first attempt reaches Scoring, whose decision Origination then records without changing
  /// the status.
  func sendToScoring(_ context: JobContext) async throws {
    let payload = context.job.payload
    let id: UUID
    var request: ScoringScoreApplicationRequest
    if context.job.attempt == 1,
      let message = try CarriedMessage.message(ScoringScoreApplicationRequest.self, in: payload)
    {
      request = message
      guard let carried = UUID(uuidString: request.applicationId) else {
        context.logger.error("job names no application; dropped")
        return
      }
      id = carried
    } else {
      guard let application = try await application(of: context) else { return }
      (id, request) = (application.id, Self.scoringRequest(for: application))
      switch application.status {
      case .new: break
      case .cancelled where application.decision == nil && context.job.mayHaveRunBefore:
        // An earlier attempt may have reached Scoring, which decided, and lost the answer: ask
        // for that decision without handing the application over.
        request.onlyIfReceived = true
      default: return
      }
    }
    let acknowledgement: ScoringScoreApplicationResponse
    do {
      acknowledgement = try await scoring.scoreApplication(request, options: callOptions)
    } catch let error as RPCError where request.onlyIfReceived && error.code == .notFound {
      return
    }
    if acknowledgement.state == .decided, let decision = acknowledgement.decision {
      try await record(decision, of: id, scored: request, completing: context)
      return
    }
    // Lost in a database crash, the next attempt asks again and Scoring answers the same; a
    // decision recorded meanwhile is taken from NEW as from SCORING.
    try await context.complete(
      with: OriginationStore.transition(id, from: [.new], to: .scoring, at: now),
      commit: .asynchronous)
    context.logger.debug(
      "application acknowledged by scoring",
      metadata: [
        "application_id": "\(request.applicationId)",
        "scoring_state": "\(acknowledgement.state.protoName ?? "?")",
      ])
  }

  /// Records the decision Scoring answered with, as `reportDecision` records a reported one,
  /// and completes the job in the same statement, durably: the agreement job it starts for an
  /// accepted application hands the decision on. Without a row stored (a decision was recorded
  /// before) the job just completes.
  private func record(
    _ decision: ScoringDecision, of id: UUID, scored request: ScoringScoreApplicationRequest,
    completing context: JobContext
  ) async throws {
    guard decision.applicationId == request.applicationId else {
      throw RPCError(.internalError, "Scoring answered with the decision of another application")
    }
    let outcome = try OriginationService.outcome(of: decision)
    let agreement = Self.agreementRequest(
      id: request.applicationId, applicant: request.applicant, terms: request.terms)
    let metadata: Logger.Metadata = [
      "application_id": "\(request.applicationId)", "decision_id": "\(decision.decisionId)",
    ]
    let recorded: Int?
    do {
      recorded = try await context.complete(
        with: OriginationStore.recordDecision(id, decision: decision, outcome: outcome, at: now),
        enqueueing: [Self.job(Self.toProductEngine, application: id, queue: queue)],
        whenTrue: "accepted", startingPayload: try CarriedMessage.payload(agreement))
    } catch let error as PostgresError
      where error.code == .uniqueViolation
      && error.constraintName == "applications_decision_id_key"
    {
      // Asking again gets the same decision: retrying cannot change that.
      context.logger.error(
        "Scoring answered with a decision id recorded for another application; not recorded",
        metadata: metadata)
      return
    }
    guard recorded == 0 else {
      context.logger.info(
        "decision recorded",
        metadata: metadata.merging(
          ["reasons": "\(decision.reasonCodes.compactMap(\.protoName))"]) { $1 })
      return
    }
    // Decided before: by this decision (an answer asked for again) or by another one.
    if let earlier = try await store.application(id)?.decision,
      earlier.decisionId != decision.decisionId
    {
      context.logger.error(
        "the application was already decided by another decision; Scoring's answer not recorded",
        metadata: metadata.merging(["recorded_decision_id": "\(earlier.decisionId)"]) { $1 })
    }
  }

  /// Asks the Product Engine for the agreement of an ACCEPTED application and records it.
  ///
  /// Started by the statement that accepted the application (see `agreementPayload`), the job
  /// carries its request and reads nothing. Otherwise it reads the application: an ACCEPTED one
  /// is asked for. A CANCELLED one without an agreement is left alone on the job's first start;
  /// after an attempt that may have asked (`Job.mayHaveRunBefore`) its agreement is asked for
  /// again, which finds it (the Product Engine is idempotent on the application id), and
  /// cancelled. An application cancelled while its agreement was being asked for is found so
  /// when the agreement is recorded, and the next attempt cancels the agreement.
  func createAgreement(_ context: JobContext) async throws {
    let payload = context.job.payload
    let request: ProductEngineCreateAgreementRequest
    var cancelling: String?
    if let message = try CarriedMessage.message(
      ProductEngineCreateAgreementRequest.self, in: payload)
    {
      request = message
    } else {
      guard let application = try await application(of: context) else { return }
      switch application.status {
      case .accepted: break
      case .cancelled where application.agreementID == nil && context.job.mayHaveRunBefore:
        cancelling = application.cancelReason ?? ""
      default: return
      }
      request = Self.agreementRequest(for: application)
    }
    guard let id = UUID(uuidString: request.applicationId) else {
      context.logger.error("job names no application; dropped")
      return
    }
    guard
      let agreementID = try await requestAgreement(
        request, cancelling: cancelling, logger: context.logger)
    else { return }
    let undo = cancelling != nil
    let now = self.now
    if !undo,
      // Lost in a database crash, the next attempt asks again and gets the same agreement.
      try await context.complete(
        with: OriginationStore.recordAgreement(id, agreementID: agreementID, at: now),
        onlyIfReturning: true, commit: .asynchronous) != nil
    {
      context.logger.info(
        "agreement created",
        metadata: ["application_id": "\(request.applicationId)", "agreement_id": "\(agreementID)"])
      return
    }
    // The application left ACCEPTED meanwhile (or was cancelled before): decide under a lock.
    let recorded = try await context.complete { transaction in
      if undo {
        try await store.recordCancelledAgreement(id, agreementID: agreementID, in: transaction)
        return false
      }
      let statement = OriginationStore.recordAgreement(id, agreementID: agreementID, at: now)
      if !(try await transaction.query(statement).isEmpty) { return true }
      guard
        let current = try await store.application(id, locking: true, in: transaction),
        current.status == .cancelled
      else { return false }
      // Rolls back; the next attempt reads the application and cancels the agreement.
      throw CancelledWhileCreating()
    }
    if recorded || undo {
      context.logger.info(
        recorded ? "agreement created" : "agreement of a cancelled application cancelled",
        metadata: ["application_id": "\(request.applicationId)", "agreement_id": "\(agreementID)"])
    }
  }

  /// The request for the agreement of `application`.
  static func agreementRequest(for application: ApplicationRecord)
    -> ProductEngineCreateAgreementRequest
  {
    agreementRequest(
      id: application.idString, applicant: application.applicant, terms: application.terms)
  }

  /// The request for the agreement of application `id`, as submitted.
  static func agreementRequest(
    id: String, applicant: LendingApplicant?, terms: LendingLoanTerms?
  ) -> ProductEngineCreateAgreementRequest {
    var request = ProductEngineCreateAgreementRequest()
    request.applicationId = id
    request.applicant = applicant
    request.terms = terms
    return request
  }

  /// What a dispatched `accepted_applications_to_pe` job starts with: a zero byte and its
  /// request (the stored payload, the application id as text, holds no U+0000).
  static func agreementPayload(for application: ApplicationRecord) -> [UInt8]? {
    try? CarriedMessage.payload(agreementRequest(for: application))
  }

  /// Asks for the agreement `request` names; with `cancelling`, the reason its application was
  /// cancelled, then cancels it. Nil when cancelling and the Product Engine refuses to create
  /// the agreement: it answers with one it has before it checks anything else, so none exists.
  private func requestAgreement(
    _ request: ProductEngineCreateAgreementRequest, cancelling reason: String?, logger: Logger
  ) async throws -> String? {
    let response: ProductEngineCreateAgreementResponse
    do {
      response = try await productEngine.createAgreement(request, options: callOptions)
    } catch let error as RPCError
      where reason != nil && [.invalidArgument, .failedPrecondition].contains(error.code)
    {
      logger.info(
        "no agreement to cancel: the Product Engine has none and would create none",
        metadata: ["application_id": "\(request.applicationId)", "error": "\(error)"])
      return nil
    }
    guard let agreementID = response.agreement?.agreementId, !agreementID.isEmpty else {
      throw RPCError(.internalError, "the Product Engine answered without an agreement id")
    }
    guard let reason else { return agreementID }
    var cancel = ProductEngineCancelAgreementRequest()
    cancel.agreementId = agreementID
    cancel.reason = "application cancelled: \(reason)"
    do {
      _ = try await productEngine.cancelAgreement(cancel, options: callOptions)
    } catch let error as RPCError where error.code == .failedPrecondition {
      // Already paid out: retrying cannot cancel it; a person must unwind it.
      logger.error(
        "cannot cancel the agreement of a cancelled application",
        metadata: ["agreement_id": "\(agreementID)", "error": "\(error)"])
    }
    return agreementID
  }

  private func application(of context: JobContext) async throws -> ApplicationRecord? {
    guard let id = applicationID(of: context), let application = try await store.application(id)
    else {
      context.logger.error("job names no known application; dropped")
      return nil
    }
    return application
  }

  /// The application a job names: as text, or in the Scoring request it carries (a carried
  /// agreement request is read by `createAgreement` itself).
  private func applicationID(of context: JobContext) -> UUID? {
    let payload = context.job.payload
    let text =
      payload.first == 0
      ? (try? CarriedMessage.message(ScoringScoreApplicationRequest.self, in: payload))?
        .applicationId
      : String(decoding: payload, as: UTF8.self)
    guard let id = text.flatMap(UUID.init(uuidString:)) else {
      context.logger.error("job names no application; dropped")
      return nil
    }
    return id
  }
}

/// The application was cancelled while its agreement was being created.
struct CancelledWhileCreating: Error, CustomStringConvertible {
  var description: String {
    "the application was cancelled meanwhile; its agreement is cancelled next"
  }
}

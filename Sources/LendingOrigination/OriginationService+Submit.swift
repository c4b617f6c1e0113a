import WirebankServiceSupport
import Foundation
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankProtobuf
import WirebankRPC

extension OriginationService {
  /// Validates and stores an application as NEW, with its `applications_to_scoring` job in the
  /// same transaction. Deduplicated by idempotency key (replays) and by content (an identical
  /// application still in flight is returned instead of a new one).
  public func submitApplication(
    _ request: OriginationSubmitApplicationRequest, context: ServerContext
  ) async throws -> OriginationSubmitApplicationResponse {
    try await translatingErrors {
      let now = self.now
      try SubmitApplicationValidation(now: now).violations(of: request)
        .check(domain: Self.errorDomain)
      guard !request.idempotencyKey.isEmpty else {
        return try await store.pool.withTransaction { try await submit(request, now: now, in: $0) }
      }
      let scope = Origination.Method.submitApplication.path
      let fingerprint = RequestFingerprint(method: scope, request: try canonicalBytes(request))
      // The usual request, a new key for a new application, takes one statement.
      let application = NewApplication(
        id: .random(), applicant: request.applicant ?? LendingApplicant(),
        terms: request.terms ?? LendingLoanTerms(), metadata: request.metadata, now: now)
      let fresh = response(application.record, deduplicated: false)
      if let stored = try await store.insert(
        application, enqueueing: try toScoringJob(application), storing: request.idempotencyKey,
        scope: scope, fingerprint: fingerprint, response: try fresh.serializedBytes(),
        in: idempotencyKeys)
      {
        logSubmitted(stored)
        return fresh
      }
      let stored = try await idempotencyKeys.perform(
        scope: scope, key: request.idempotencyKey, request: fingerprint
      ) { transaction in
        try await submit(request, now: now, in: transaction).serializedBytes()
      }
      var response = try OriginationSubmitApplicationResponse(serializedBytes: stored.body)
      if stored.replayed {
        // The stored response names the application; answer with its current state.
        response.deduplicated = true
        if let id = response.application.flatMap({ UUID(uuidString: $0.applicationId) }),
          let current = try await store.application(id)
        {
          response.application = current.proto
        }
      }
      return response
    }
  }

  private func submit(
    _ request: OriginationSubmitApplicationRequest, now: Date, in transaction: PostgresTransaction
  ) async throws -> OriginationSubmitApplicationResponse {
    let applicant = request.applicant ?? LendingApplicant()
    let terms = request.terms ?? LendingLoanTerms()
    // An identical application may leave the in-flight set between the insert and the read;
    // then the insert is simply tried again.
    for _ in 0..<3 {
      let application = NewApplication(
        id: .random(), applicant: applicant, terms: terms, metadata: request.metadata, now: now)
      if let stored = try await store.insert(
        application, enqueueing: try toScoringJob(application), in: transaction)
      {
        logSubmitted(stored)
        return response(stored, deduplicated: false)
      }
      if let existing = try await store.inFlight(
        contentKey: application.contentKey, in: transaction)
      {
        logger.info(
          "identical application in flight; deduplicated",
          metadata: ["application_id": "\(existing.idString)"])
        return response(existing, deduplicated: true)
      }
    }
    throw RPCError.detailed(
      .aborted, "identical applications are being submitted concurrently; retry",
      reason: "CONCURRENT_SUBMISSION", domain: Self.errorDomain)
  }

  private func toScoringJob(_ application: NewApplication) throws -> NewJob {
    try OriginationJobs.scoringJob(application.record, queue: jobQueue)
  }

  private func logSubmitted(_ application: ApplicationRecord) {
    logger.info(
      "application submitted",
      metadata: [
        "application_id": "\(application.idString)", "product": "\(application.terms.productCode)",
      ])
  }

  private func response(_ application: ApplicationRecord, deduplicated: Bool)
    -> OriginationSubmitApplicationResponse
  {
    var response = OriginationSubmitApplicationResponse()
    response.application = application.proto
    response.deduplicated = deduplicated
    return response
  }

  /// The request in a canonical byte form for idempotency fingerprints: the message without its
  /// key and map (whose wire order is not fixed), then the map's entries in key order.
  private func canonicalBytes(_ request: OriginationSubmitApplicationRequest) throws -> [UInt8] {
    var plain = request
    plain.idempotencyKey = ""
    plain.metadata = [:]
    var bytes = try plain.serializedBytes()
    for (key, value) in request.metadata.sorted(by: { $0.key < $1.key }) {
      for part in [key, value] {
        withUnsafeBytes(of: UInt32(part.utf8.count).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: part.utf8)
      }
    }
    return bytes
  }
}

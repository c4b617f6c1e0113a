import WirebankServiceSupport
import Foundation
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

extension ProductEngineService {
  /// Records the payout: PAYMENT_PENDING → ACTIVE, deduplicated on `disbursement_id`.
  public func disburseAgreement(
    _ request: ProductEngineDisburseAgreementRequest, context: ServerContext
  ) async throws -> ProductEngineAgreement {
    try await translatingErrors {
      let id = try agreementID(request.agreementId)
      var violations = FieldViolations()
      if request.disbursementId.isEmpty || request.disbursementId.count > 128 {
        violations.add("disbursement_id", "is required (at most 128 characters)")
      }
      if request.amount == nil { violations.add("amount", "is required") }
      try violations.check(domain: Self.errorDomain)
      let now = self.now
      let disbursedAt = request.disbursedAt?.date.truncatedToMicroseconds ?? now
      do {
        return try await store.pool.withTransaction { transaction in
          guard let locked = try await store.lockAgreement(id, in: transaction) else {
            throw notFound("agreement", request.agreementId, reason: "AGREEMENT_NOT_FOUND")
          }
          if locked.disbursementID == request.disbursementId {
            // A replay of the payout already recorded.
            return try await current(id, in: transaction)
          }
          guard locked.status == .paymentPending else {
            throw invalidTransition(from: locked.status, to: .active, id: request.agreementId)
          }
          let amount = request.amount ?? CommonMoney()
          guard amount.amountMinor == locked.principalMinor, amount.currency == locked.currency
          else {
            var violations = FieldViolations()
            violations.add(
              "amount", "must equal the principal, \(locked.principalMinor) \(locked.currency)")
            try violations.check(domain: Self.errorDomain)
            throw RPCError(.invalidArgument, "amount")
          }
          try await store.markDisbursed(
            id, disbursementID: request.disbursementId, at: disbursedAt, in: transaction)
          return try await current(id, in: transaction)
        }
      } catch let error as PostgresError where error.code == .uniqueViolation {
        throw RPCError.detailed(
          .alreadyExists, "this disbursement id was recorded for another agreement",
          reason: "DISBURSEMENT_ID_IN_USE", domain: Self.errorDomain)
      }
    }
  }

  /// Cancels an agreement never paid out; cancelling a CANCELLED one returns it unchanged.
  public func cancelAgreement(
    _ request: ProductEngineCancelAgreementRequest, context: ServerContext
  )
    async throws -> ProductEngineAgreement
  {
    try await translatingErrors {
      let id = try agreementID(request.agreementId)
      let now = self.now
      return try await store.pool.withTransaction { transaction in
        guard let locked = try await store.lockAgreement(id, in: transaction) else {
          throw notFound("agreement", request.agreementId, reason: "AGREEMENT_NOT_FOUND")
        }
        switch locked.status {
        case .cancelled:
          break
        case .created, .paymentPending:
          try await store.markCancelled(
            id, reason: String(request.reason.prefix(1000)), at: now, in: transaction)
          logger.info("agreement cancelled", metadata: ["agreement_id": "\(id)"])
        case .active, .closed:
          throw invalidTransition(from: locked.status, to: .cancelled, id: request.agreementId)
        }
        return try await current(id, in: transaction)
      }
    }
  }

  /// Runs an `agreements_to_payout` job: the payout of the principal is requested
  /// (CREATED → PAYMENT_PENDING). A payments system would be called here; until one exists the
  /// request is only recorded, and `DisburseAgreement` reports the payout.
  func requestPayout(_ context: JobContext) async throws {
    guard let id = UUID(uuidString: String(decoding: context.job.payload, as: UTF8.self)) else {
      context.logger.error("payout job without an agreement id; dropped")
      return
    }
    let now = self.now
    // Lost in a database crash, the next attempt requests the payout again (a payments system
    // would get the same agreement id).
    let moved = try await context.complete(
      with: ProductEngineStore.markPayoutRequested(id, at: now), commit: .asynchronous)
    if moved == 1 { context.logger.info("payout requested", metadata: ["agreement_id": "\(id)"]) }
  }

  private func current(_ id: UUID, in transaction: PostgresTransaction) async throws
    -> ProductEngineAgreement
  {
    guard
      let agreement = try await store.agreement(id: id, today: CivilDate(utc: now), in: transaction)
    else { throw PostgresError(.unexpectedResponse, reason: "agreement vanished") }
    return agreement.proto
  }

  private func invalidTransition(from: AgreementStatus, to: AgreementStatus, id: String)
    -> RPCError
  {
    RPCError.detailed(
      .failedPrecondition, "an agreement in \(from.rawValue) cannot become \(to.rawValue)",
      reason: "INVALID_TRANSITION", domain: Self.errorDomain,
      metadata: ["agreement_id": String(id.prefix(128)), "status": from.rawValue])
  }
}

import Foundation
import WirebankPostgres

extension ProductEngineStore {
  /// What Scoring needs to know about a client, computed for `today`.
  struct ClientStanding: Sendable {
    /// CREATED, PAYMENT_PENDING and ACTIVE agreements, newest first.
    var openAgreements: [AgreementRecord]
    var closedAgreementsCount: Int
    /// The most days any payment was (or still is) late, over all agreements.
    var maxDaysPastDueEver: Int
  }

  /// The standing of client `id` on `today`.
  func standing(ofClient id: UUID, today: CivilDate) async throws -> ClientStanding {
    try await pool.withTransaction(isolationLevel: .repeatableRead, readOnly: true) { transaction in
      let open = try await transaction.query(
        """
        WITH params AS (SELECT \(today.description)::date AS today)
        SELECT \(unsafeSQL: Self.agreementColumns) FROM \(unsafeSQL: Self.agreementSources)
        WHERE a.client_id = \(id)
          AND a.status = ANY(\(PostgresArray(AgreementStatus.open.map(\.rawValue))))
        ORDER BY a.seq DESC
        """
      ).map(Self.agreement(from:))
      let summary = try await transaction.query(
        """
        SELECT
          (SELECT count(*) FROM agreements WHERE client_id = \(id) AND status = 'CLOSED'),
          (SELECT COALESCE(max(GREATEST(0, CASE WHEN e.paid_minor >= e.total_minor
                    THEN e.paid_on - e.due_date
                    ELSE \(today.description)::date - e.due_date END)), 0)
           FROM schedule_entries e JOIN agreements a ON a.agreement_id = e.agreement_id
           WHERE a.client_id = \(id) AND a.status IN ('ACTIVE', 'CLOSED'))
        """
      ).single()
      let (closed, worst) = try summary.decode((Int64, Int).self)
      return ClientStanding(
        openAgreements: open, closedAgreementsCount: Int(closed), maxDaysPastDueEver: worst)
    }
  }

  /// Records a repayment against the oldest unpaid entries of an ACTIVE agreement and closes
  /// it once fully repaid. (No RPC takes repayments yet; the demo and tests use this.)
  /// - Returns: the amount that was not needed (overpayment), or nil if the agreement is not
  ///   ACTIVE.
  func applyRepayment(
    agreementID id: UUID, amountMinor: Int64, on day: CivilDate, at now: Date
  ) async throws -> Int64? {
    try await pool.withTransaction { transaction in
      guard let locked = try await lockAgreement(id, in: transaction), locked.status == .active
      else { return nil }
      var left = amountMinor
      let entries = try await transaction.query(
        """
        SELECT period_number, total_minor - paid_minor FROM schedule_entries
        WHERE agreement_id = \(id) AND paid_minor < total_minor ORDER BY period_number
        """)
      for row in entries where left > 0 {
        let (period, due) = try row.decode((Int32, Int64).self)
        let paid = min(due, left)
        left -= paid
        try await transaction.query(
          """
          UPDATE schedule_entries SET paid_minor = paid_minor + \(paid),
            paid_on = CASE WHEN paid_minor + \(paid) >= total_minor
                      THEN \(day.description)::date END
          WHERE agreement_id = \(id) AND period_number = \(period)
          """)
      }
      let unpaid = try await transaction.query(
        """
        SELECT count(*) FROM schedule_entries
        WHERE agreement_id = \(id) AND paid_minor < total_minor
        """
      ).single().decode(Int64.self)
      if unpaid == 0 {
        try await transaction.query(
          """
          UPDATE agreements SET status = \(AgreementStatus.closed.rawValue), ended_at = \(now)
          WHERE agreement_id = \(id)
          """)
      }
      return left
    }
  }
}

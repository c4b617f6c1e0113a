import Foundation
import WirebankPostgres

extension ProductEngineStore {
  /// The agreement made for `applicationID`, with its client's document, or nil.
  func agreement(applicationID: String, today: CivilDate) async throws
    -> (AgreementRecord, DocumentKey)?
  {
    let rows = try await pool.query(
      """
      WITH params AS (SELECT \(today.description)::date AS today)
      SELECT \(unsafeSQL: Self.agreementColumns),
        c.document_kind, c.document_country, c.document_series, c.document_number
      FROM \(unsafeSQL: Self.agreementSources)
      JOIN clients c ON c.client_id = a.client_id
      WHERE a.application_id = \(applicationID)
      """)
    guard let row = rows.first else { return nil }
    let document = DocumentKey(
      kind: try row.decode(Int32.self, column: "document_kind"),
      country: try row.decode(String.self, column: "document_country"),
      series: try row.decode(String.self, column: "document_series"),
      number: try row.decode(String.self, column: "document_number"))
    return (try Self.agreement(from: row), document)
  }

  /// The agreement `id` with its standing on `today`, or nil.
  func agreement(id: UUID, today: CivilDate, in transaction: PostgresTransaction? = nil)
    async throws -> AgreementRecord?
  {
    let query: PostgresQuery = """
      WITH params AS (SELECT \(today.description)::date AS today)
      SELECT \(unsafeSQL: Self.agreementColumns) FROM \(unsafeSQL: Self.agreementSources)
      WHERE a.agreement_id = \(id)
      """
    let rows =
      if let transaction { try await transaction.query(query) } else {
        try await pool.query(query)
      }
    return try rows.first.map(Self.agreement(from:))
  }

  /// Agreements newest first, optionally of one client or status, before `beforeSeq`.
  func agreements(
    clientID: UUID?, status: AgreementStatus?, beforeSeq: Int64?, limit: Int, today: CivilDate
  ) async throws -> [AgreementRecord] {
    let rows = try await pool.query(
      """
      WITH params AS (SELECT \(today.description)::date AS today)
      SELECT \(unsafeSQL: Self.agreementColumns) FROM \(unsafeSQL: Self.agreementSources)
      WHERE (\(clientID)::uuid IS NULL OR a.client_id = \(clientID))
        AND (\(status?.rawValue)::text IS NULL OR a.status = \(status?.rawValue))
        AND (\(beforeSeq)::bigint IS NULL OR a.seq < \(beforeSeq))
      ORDER BY a.seq DESC LIMIT \(Int64(limit))
      """)
    return try rows.map(Self.agreement(from:))
  }

  /// The schedule of agreement `id`, in period order.
  func schedule(agreementID id: UUID) async throws -> [ScheduleEntryRecord] {
    let rows = try await pool.query(
      """
      SELECT period_number, due_date::text, principal_minor, interest_minor, total_minor,
        remaining_principal_minor, paid_minor
      FROM schedule_entries WHERE agreement_id = \(id) ORDER BY period_number
      """)
    return try rows.map { row in
      let (period, due, principal, interest, total, remaining, paid) = try row.decode(
        (Int, String, Int64, Int64, Int64, Int64, Int64).self)
      guard let dueDate = CivilDate(iso: due) else {
        throw PostgresError(
          .unexpectedResponse, reason: "malformed due date", columnName: "due_date")
      }
      return ScheduleEntryRecord(
        periodNumber: period, dueDate: dueDate, principalMinor: principal, interestMinor: interest,
        totalMinor: total, remainingPrincipalMinor: remaining, paidMinor: paid)
    }
  }

  /// Locks agreement `id` for a status change and returns its status and disbursement id.
  func lockAgreement(_ id: UUID, in transaction: PostgresTransaction) async throws
    -> (status: AgreementStatus, disbursementID: String?, principalMinor: Int64, currency: String)?
  {
    let rows = try await transaction.query(
      """
      SELECT status, disbursement_id, principal_minor, currency
      FROM agreements WHERE agreement_id = \(id) FOR UPDATE
      """)
    guard let row = rows.first else { return nil }
    let (status, disbursement, principal, currency) = try row.decode(
      (String, String?, Int64, String).self)
    return (try Self.status(status), disbursement, principal, currency)
  }

  /// The statement CREATED → PAYMENT_PENDING (the payout was requested); it returns a row when
  /// it did (none in any other status).
  static func markPayoutRequested(_ id: UUID, at now: Date) -> PostgresQuery {
    """
    UPDATE agreements SET status = \(AgreementStatus.paymentPending.rawValue),
      payout_requested_at = \(now)
    WHERE agreement_id = \(id) AND status = \(AgreementStatus.created.rawValue)
    RETURNING agreement_id
    """
  }

  /// PAYMENT_PENDING → ACTIVE with the payout's id and time.
  func markDisbursed(
    _ id: UUID, disbursementID: String, at date: Date, in transaction: PostgresTransaction
  ) async throws {
    try await transaction.query(
      """
      UPDATE agreements SET status = \(AgreementStatus.active.rawValue),
        disbursement_id = \(disbursementID), disbursed_at = \(date)
      WHERE agreement_id = \(id)
      """)
  }

  /// → CANCELLED with a reason.
  func markCancelled(
    _ id: UUID, reason: String, at now: Date, in transaction: PostgresTransaction
  ) async throws {
    try await transaction.query(
      """
      UPDATE agreements SET status = \(AgreementStatus.cancelled.rawValue),
        cancel_reason = \(reason), ended_at = \(now)
      WHERE agreement_id = \(id)
      """)
  }

  // MARK: Row mapping

  /// The columns of an agreement with its standing; needs `params` (today) and `a` in FROM.
  static let agreementColumns = """
    a.agreement_id, a.seq, a.application_id, a.client_id, a.product_code, a.currency,
    a.principal_minor, a.term_months, a.annual_rate_bp, a.monthly_payment_minor,
    a.origination_fee_minor, a.status, a.disbursement_id, a.created_at, a.disbursed_at,
    a.ended_at, standing.outstanding, standing.arrears, standing.days_past_due
    """

  /// Agreements with their standing today: arrears count only once the principal is paid out.
  static let agreementSources = """
    agreements a CROSS JOIN params p CROSS JOIN LATERAL (
      SELECT
        CASE WHEN a.status = 'CANCELLED' THEN 0
          ELSE COALESCE(min(e.remaining_principal_minor)
            FILTER (WHERE e.paid_minor >= e.total_minor), a.principal_minor) END AS outstanding,
        COALESCE(sum(e.total_minor - e.paid_minor) FILTER (WHERE a.status = 'ACTIVE'
          AND e.due_date < p.today AND e.paid_minor < e.total_minor), 0)::bigint AS arrears,
        COALESCE(max(p.today - e.due_date) FILTER (WHERE a.status = 'ACTIVE'
          AND e.due_date < p.today AND e.paid_minor < e.total_minor), 0) AS days_past_due
      FROM schedule_entries e WHERE e.agreement_id = a.agreement_id) standing
    """

  static func agreement(from row: PostgresRow) throws -> AgreementRecord {
    let (id, seq, applicationID, clientID, productCode, currency, principal) = try row.decode(
      (UUID, Int64, String, UUID, String, String, Int64).self)
    return AgreementRecord(
      id: id, seq: seq, applicationID: applicationID, clientID: clientID,
      productCode: productCode, currency: currency, principalMinor: principal,
      termMonths: try row.decode(Int.self, column: "term_months"),
      annualRateBasisPoints: try row.decode(Int.self, column: "annual_rate_bp"),
      monthlyPaymentMinor: try row.decode(Int64.self, column: "monthly_payment_minor"),
      originationFeeMinor: try row.decode(Int64.self, column: "origination_fee_minor"),
      status: try status(try row.decode(String.self, column: "status")),
      disbursementID: try row.decode(String?.self, column: "disbursement_id"),
      createdAt: try row.decode(Date.self, column: "created_at"),
      disbursedAt: try row.decode(Date?.self, column: "disbursed_at"),
      endedAt: try row.decode(Date?.self, column: "ended_at"),
      outstandingPrincipalMinor: try row.decode(Int64.self, column: "outstanding"),
      arrearsMinor: try row.decode(Int64.self, column: "arrears"),
      daysPastDue: try row.decode(Int.self, column: "days_past_due"))
  }

  static func status(_ text: String) throws -> AgreementStatus {
    guard let status = AgreementStatus(rawValue: text) else {
      throw PostgresError(
        .unexpectedResponse, reason: "unknown agreement status", columnName: "status")
    }
    return status
  }
}

import Foundation
import WirebankContracts
import WirebankJobs
import WirebankPostgres

extension ProductEngineStore {
  /// A new agreement with its schedule, as `createAgreement` writes it.
  struct NewAgreement: Sendable {
    var id: UUID
    var applicationID: String
    /// The id the client gets if this agreement creates it.
    var newClientID: UUID
    var product: Product
    var principalMinor: Int64
    var termMonths: Int
    var annuity: Annuity
    var originationFeeMinor: Int64
    var dueDates: [CivilDate]
    var createdAt: Date
  }

  /// The SQLSTATE an agreement's statement fails with when it must not stand.
  static let refusedCode = PostgresError.Code(rawValue: "PE001")

  /// Creates `agreement` (status CREATED) with its schedule and `job`, and its client from
  /// `applicant` unless a client with `document` exists, all in one statement.
  ///
  /// Returns the agreement as stored, or nil when nothing was written: an agreement for the
  /// application exists already, or another call is creating a client with the same document
  /// (then trying again finds that client).
  func createAgreement(
    _ agreement: NewAgreement, applicant: LendingApplicant, document: DocumentKey,
    enqueueing job: NewJob
  ) async throws -> AgreementRecord? {
    let installments = agreement.annuity.installments
    let birthDate = applicant.birthDate.flatMap(CivilDate.init)?.description
    // Every sub-statement sees the database as it was when the statement began: `client` finds
    // an existing client or the one `new_client` inserts, never both. An agreement that exists
    // already makes the statement fail if it created a client, so that nothing stays behind.
    let statement: PostgresQuery = """
      new_client AS (
        INSERT INTO clients (client_id, document_kind, document_country, document_series,
          document_number, first_name, last_name, middle_name, birth_date, email, phone,
          created_at)
        VALUES (\(agreement.newClientID), \(document.kind), \(document.country),
          \(document.series), \(document.number), \(applicant.firstName), \(applicant.lastName),
          \(applicant.middleName), \(birthDate)::date, \(applicant.email), \(applicant.phone),
          \(agreement.createdAt))
        ON CONFLICT (document_kind, document_country, document_series, document_number)
          DO NOTHING
        RETURNING client_id),
      client AS (
        SELECT client_id FROM new_client
        UNION ALL
        SELECT client_id FROM clients
        WHERE document_kind = \(document.kind) AND document_country = \(document.country)
          AND document_series = \(document.series) AND document_number = \(document.number)),
      agreement AS (
        INSERT INTO agreements (agreement_id, application_id, client_id, product_code, currency,
          principal_minor, term_months, annual_rate_bp, monthly_payment_minor,
          origination_fee_minor, status, created_at)
        SELECT \(agreement.id), \(agreement.applicationID), client_id, \(agreement.product.code),
          \(agreement.product.currency), \(agreement.principalMinor),
          \(Int32(agreement.termMonths)), \(Int32(agreement.annuity.annualRateBasisPoints)),
          \(agreement.annuity.monthlyPayment), \(agreement.originationFeeMinor),
          \(AgreementStatus.created.rawValue), \(agreement.createdAt)
        FROM client
        ON CONFLICT (application_id) DO NOTHING
        RETURNING seq, client_id),
      schedule AS (
        INSERT INTO schedule_entries (agreement_id, period_number, due_date, principal_minor,
          interest_minor, total_minor, remaining_principal_minor)
        SELECT \(agreement.id), period, due::date, principal, interest, principal + interest,
          remaining
        FROM agreement,
          unnest(\(PostgresArray(installments.map { Int32($0.periodNumber) })),
                 \(PostgresArray(agreement.dueDates.map(\.description))),
                 \(PostgresArray(installments.map(\.principal))),
                 \(PostgresArray(installments.map(\.interest))),
                 \(PostgresArray(installments.map(\.remainingPrincipal))))
            AS entry (period, due, principal, interest, remaining)),
      work AS (
        SELECT a.seq, a.client_id, a.seq IS NOT NULL AS created,
          wirebank_require(a.seq IS NOT NULL OR NOT EXISTS (SELECT 1 FROM new_client), 'PE001',
            'an agreement exists for the application: the client created for it is not kept')
        FROM (VALUES (1)) AS one LEFT JOIN agreement a ON true)
      """
    let rows: PostgresRows
    do {
      rows = try await JobQueue.enqueue(
        [job], alongCTEs: statement, whenTrue: "created", pool: pool, dispatcher: dispatcher)
    } catch let error as PostgresError where error.code == Self.refusedCode {
      return nil
    }
    let row = try rows.single()
    guard let seq = try row.decode(Int64?.self, at: 0),
      let clientID = try row.decode(UUID?.self, at: 1)
    else { return nil }
    // What `agreement(id:today:)` would read back: nothing is paid out or paid yet.
    return AgreementRecord(
      id: agreement.id, seq: seq, applicationID: agreement.applicationID, clientID: clientID,
      productCode: agreement.product.code, currency: agreement.product.currency,
      principalMinor: agreement.principalMinor, termMonths: agreement.termMonths,
      annualRateBasisPoints: agreement.annuity.annualRateBasisPoints,
      monthlyPaymentMinor: agreement.annuity.monthlyPayment,
      originationFeeMinor: agreement.originationFeeMinor, status: .created, disbursementID: nil,
      createdAt: agreement.createdAt, disbursedAt: nil, endedAt: nil,
      outstandingPrincipalMinor: agreement.principalMinor, arrearsMinor: 0, daysPastDue: 0)
  }
}

import WirebankServiceSupport
import Foundation
import WirebankContracts
import WirebankJobs
import WirebankPostgres

/// An application as stored.
struct ApplicationRecord: Sendable {
  var id: UUID
  var seq: Int64
  var applicant: LendingApplicant
  var terms: LendingLoanTerms
  var status: ApplicationStatus
  var decision: ScoringDecision?
  var agreementID: String?
  var cancelReason: String?
  var metadata: [String: String]
  var createdAt: Date
  var updatedAt: Date

  var idString: String { id.uuidString.lowercased() }

  var proto: OriginationApplication {
    var application = OriginationApplication()
    application.applicationId = idString
    application.applicant = applicant
    application.terms = terms
    application.status = status.proto
    application.decision = decision
    application.agreementId = agreementID ?? ""
    application.cancelReason = cancelReason ?? ""
    application.metadata = metadata
    application.createdAt = Google_Protobuf_Timestamp(createdAt)
    application.updatedAt = Google_Protobuf_Timestamp(updatedAt)
    return application
  }
}

/// A new application, as `insert` writes it.
struct NewApplication: Sendable {
  var id: UUID
  var applicant: LendingApplicant
  var terms: LendingLoanTerms
  var metadata: [String: String]
  var now: Date

  /// The normalised identity document: kind, country, series, number.
  var document: (kind: Int32, country: String, series: String, number: String) {
    let document = applicant.identityDocument ?? LendingIdentityDocument()
    return (
      document.kind.rawValue, normalizedDocumentPart(document.issuingCountry),
      normalizedDocumentPart(document.series), normalizedDocumentPart(document.number)
    )
  }

  /// The application as `insert` stores it (its `seq`, assigned by the database, left 0).
  var record: ApplicationRecord {
    let principal = terms.principal ?? CommonMoney()
    return ApplicationRecord(
      id: id, seq: 0, applicant: applicant,
      terms: OriginationStore.storedTerms(
        terms.productCode, principal.amountMinor, principal.currency, terms.termMonths),
      status: .new, decision: nil, agreementID: nil,
      cancelReason: nil, metadata: metadata, createdAt: now, updatedAt: now)
  }

  /// What makes two submissions "the same application": the client, product, amount and term.
  var contentKey: String {
    let document = self.document
    let principal = terms.principal ?? CommonMoney()
    return [
      String(document.kind), document.country, document.series, document.number,
      terms.productCode, String(principal.amountMinor), principal.currency,
      String(terms.termMonths),
    ].joined(separator: "\u{1F}")
  }
}

/// Origination's SQL. Every value is a bound parameter.
struct OriginationStore: Sendable {
  let pool: PostgresPool
  /// Starts the jobs this store enqueues on the service's own worker at once (nil: NOTIFY).
  var dispatcher: JobDispatcher? = nil

  /// Inserts `application` as NEW with `job` unless an identical one is in flight; returns the
  /// stored application, or nil when it inserted nothing. One statement.
  func insert(
    _ application: NewApplication, enqueueing job: NewJob, in transaction: PostgresTransaction
  ) async throws -> ApplicationRecord? {
    try await JobQueue.enqueue([job], along: try Self.insertion(application), in: transaction)
      .first.map(Self.application(from:))
  }

  /// Inserts `application` as NEW with `job` and stores `key` completed with `response`, in one
  /// statement; returns the stored application, or nil when nothing was committed (an identical
  /// application is in flight, or the key is stored already).
  func insert(
    _ application: NewApplication, enqueueing job: NewJob, storing key: String, scope: String,
    fingerprint: RequestFingerprint, response: [UInt8], in keys: IdempotencyKeys
  ) async throws -> ApplicationRecord? {
    try await keys.performInOneStatement(
      scope: scope, key: key, request: fingerprint, response: response, jobs: [job],
      along: try Self.insertion(application), dispatcher: dispatcher
    )?.first.map(Self.application(from:))
  }

  /// The INSERT of `application` as NEW unless an identical one is in flight.
  private static func insertion(_ application: NewApplication) throws -> PostgresQuery {
    let document = application.document
    let principal = application.terms.principal ?? CommonMoney()
    let metadata = application.metadata.sorted { $0.key < $1.key }
    return """
      INSERT INTO applications (application_id, applicant, document_kind, document_country,
        document_series, document_number, product_code, principal_minor, currency, term_months,
        status, content_key, metadata_keys, metadata_values, created_at, updated_at)
      VALUES (\(application.id), \(try application.applicant.serializedBytes()),
        \(document.kind), \(document.country), \(document.series), \(document.number),
        \(application.terms.productCode), \(principal.amountMinor), \(principal.currency),
        \(application.terms.termMonths), \(ApplicationStatus.new.rawValue),
        \(application.contentKey), \(PostgresArray(metadata.map(\.key))),
        \(PostgresArray(metadata.map(\.value))), \(application.now), \(application.now))
      ON CONFLICT (content_key) WHERE status IN ('NEW', 'SCORING', 'ACCEPTED') DO NOTHING
      RETURNING \(unsafeSQL: Self.columns)
      """
  }

  /// The in-flight application with `contentKey`, if any.
  func inFlight(contentKey: String, in transaction: PostgresTransaction) async throws
    -> ApplicationRecord?
  {
    try await transaction.query(
      """
      SELECT \(unsafeSQL: Self.columns) FROM applications
      WHERE content_key = \(contentKey) AND status IN ('NEW', 'SCORING', 'ACCEPTED')
      """
    ).first.map(Self.application(from:))
  }

  /// Application `id`, locked for update when `locking`.
  func application(
    _ id: UUID, locking: Bool = false, in transaction: PostgresTransaction? = nil
  ) async throws -> ApplicationRecord? {
    let query: PostgresQuery = """
      SELECT \(unsafeSQL: Self.columns) FROM applications WHERE application_id = \(id)
      \(unsafeSQL: locking ? "FOR UPDATE" : "")
      """
    let rows =
      if let transaction { try await transaction.query(query) } else {
        try await pool.query(query)
      }
    return try rows.first.map(Self.application(from:))
  }

  /// Applications newest first, filtered, before `beforeSeq`.
  func applications(
    status: ApplicationStatus?, documentNumber: String?, createdAfter: Date?, beforeSeq: Int64?,
    limit: Int
  ) async throws -> [ApplicationRecord] {
    try await pool.query(
      """
      SELECT \(unsafeSQL: Self.columns) FROM applications
      WHERE (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
        AND (\(documentNumber)::text IS NULL OR document_number = \(documentNumber))
        AND (\(createdAfter)::timestamptz IS NULL OR created_at >= \(createdAfter))
        AND (\(beforeSeq)::bigint IS NULL OR seq < \(beforeSeq))
      ORDER BY seq DESC LIMIT \(Int64(limit))
      """
    ).map(Self.application(from:))
  }

  /// The statement that moves application `id` from one of `from` to `to`; it returns a row
  /// when it did (none when the application was in another status).
  static func transition(
    _ id: UUID, from: [ApplicationStatus], to: ApplicationStatus, at now: Date
  ) -> PostgresQuery {
    """
    UPDATE applications SET status = \(to.rawValue), updated_at = \(now)
    WHERE application_id = \(id) AND status = ANY(\(PostgresArray(from.map(\.rawValue))))
    RETURNING application_id
    """
  }

  /// Stores Scoring's decision on an application that has none yet, in one statement: an
  /// application awaiting it takes `outcome`, one cancelled meanwhile keeps its status, and
  /// `jobs` are enqueued when the result is ACCEPTED (a job dispatched here starts with
  /// `startingPayload` of the application as stored). Returns the status, or nil when nothing
  /// was stored (no such application, or a decision is recorded already).
  func recordDecision(
    _ id: UUID, decision: ScoringDecision, outcome: ApplicationStatus, at now: Date,
    enqueueingIfAccepted jobs: [NewJob],
    startingPayload: (ApplicationRecord) -> [UInt8]?
  ) async throws -> ApplicationStatus? {
    let rows = try await JobQueue.enqueue(
      jobs,
      along: try Self.recordDecision(id, decision: decision, outcome: outcome, at: now),
      whenTrue: "accepted", pool: pool, dispatcher: dispatcher,
      startingPayload: { rows in
        // A row that cannot be read leaves the job its stored payload: it reads the application.
        guard let row = rows.first, let application = try? Self.application(from: row)
        else { return nil }
        return startingPayload(application)
      })
    return try rows.first.map { try Self.status($0.decode(String.self, column: "status")) }
  }

  /// The statement of `recordDecision(_:decision:outcome:at:enqueueingIfAccepted:startingPayload:)`
  /// without its jobs: it returns the application's row, with the boolean column `accepted`,
  /// when it stored the decision.
  static func recordDecision(
    _ id: UUID, decision: ScoringDecision, outcome: ApplicationStatus, at now: Date
  ) throws -> PostgresQuery {
    let awaiting = PostgresArray(ApplicationStatus.awaitingDecision.map(\.rawValue))
    return """
      UPDATE applications SET decision = \(try decision.serializedBytes()),
        decision_id = \(decision.decisionId), updated_at = \(now),
        status = CASE WHEN status = ANY(\(awaiting)) THEN \(outcome.rawValue) ELSE status END
      WHERE application_id = \(id) AND decision_id IS NULL
      RETURNING \(unsafeSQL: Self.columns),
        status = \(ApplicationStatus.accepted.rawValue) AS accepted
      """
  }

  /// CANCELLED with a reason.
  func cancel(_ id: UUID, reason: String, at now: Date, in transaction: PostgresTransaction)
    async throws
  {
    try await transaction.query(
      """
      UPDATE applications SET status = \(ApplicationStatus.cancelled.rawValue),
        cancel_reason = \(reason), updated_at = \(now)
      WHERE application_id = \(id)
      """)
  }

  /// The statement ACCEPTED → AGREEMENT_CREATED with the agreement's id; it returns a row when
  /// it did (none when the application is no longer ACCEPTED).
  static func recordAgreement(_ id: UUID, agreementID: String, at now: Date) -> PostgresQuery {
    """
    UPDATE applications SET status = \(ApplicationStatus.agreementCreated.rawValue),
      agreement_id = \(agreementID), updated_at = \(now)
    WHERE application_id = \(id) AND status = \(ApplicationStatus.accepted.rawValue)
    RETURNING application_id
    """
  }

  /// Keeps the id of an agreement that was cancelled because its application was.
  func recordCancelledAgreement(
    _ id: UUID, agreementID: String, in transaction: PostgresTransaction
  ) async throws {
    try await transaction.query(
      "UPDATE applications SET agreement_id = \(agreementID) WHERE application_id = \(id)")
  }

  // MARK: Row mapping

  static let columns = """
    application_id, seq, applicant, product_code, principal_minor, currency, term_months,
    status, decision, agreement_id, cancel_reason, metadata_keys,
    metadata_values, created_at, updated_at
    """

  /// The status stored as `text`.
  static func status(_ text: String) throws -> ApplicationStatus {
    guard let status = ApplicationStatus(rawValue: text) else {
      throw PostgresError(
        .unexpectedResponse, reason: "unknown application status", columnName: "status")
    }
    return status
  }

  static func application(from row: PostgresRow) throws -> ApplicationRecord {
    let (id, seq, applicantBytes, productCode, principal, currency, term) = try row.decode(
      (UUID, Int64, [UInt8], String, Int64, String, Int32).self)
    let status = try Self.status(row.decode(String.self, column: "status"))
    let terms = storedTerms(productCode, principal, currency, term)
    let keys = try row.decode(PostgresArray<String>.self, column: "metadata_keys").elements
    let values = try row.decode(PostgresArray<String>.self, column: "metadata_values").elements
    return ApplicationRecord(
      id: id, seq: seq, applicant: try LendingApplicant(serializedBytes: applicantBytes),
      terms: terms, status: status,
      decision: try row.decode([UInt8]?.self, column: "decision").map {
        try ScoringDecision(serializedBytes: $0)
      },
      agreementID: try row.decode(String?.self, column: "agreement_id"),
      cancelReason: try row.decode(String?.self, column: "cancel_reason"),
      metadata: Dictionary(zip(keys, values), uniquingKeysWith: { first, _ in first }),
      createdAt: try row.decode(Date.self, column: "created_at"),
      updatedAt: try row.decode(Date.self, column: "updated_at"))
  }

  /// Loan terms as the application's columns keep them.
  static func storedTerms(
    _ productCode: String, _ principal: Int64, _ currency: String, _ term: Int32
  ) -> LendingLoanTerms {
    var terms = LendingLoanTerms()
    terms.productCode = productCode
    var money = CommonMoney()
    money.amountMinor = principal
    money.currency = currency
    terms.principal = money
    terms.termMonths = term
    return terms
  }
}

import Foundation
import WirebankContracts
import WirebankPostgres

/// The Product Engine's SQL: products and clients here, agreements and schedules in
/// `ProductEngineStore+Agreements.swift`. Every value is a bound parameter.
struct ProductEngineStore: Sendable {
  let pool: PostgresPool

  // MARK: Products

  /// Products ordered by code, after `afterCode`, at most `limit`.
  func products(includeInactive: Bool, afterCode: String?, limit: Int) async throws -> [Product] {
    let rows = try await pool.query(
      """
      SELECT \(unsafeSQL: Self.productColumns) FROM products p
      WHERE (\(includeInactive) OR p.active)
        AND (\(afterCode)::text IS NULL OR p.product_code > \(afterCode))
      ORDER BY p.product_code LIMIT \(Int64(limit))
      """)
    return try rows.map(Self.product(from:))
  }

  /// The product with `code`, or nil.
  func product(code: String, in transaction: PostgresTransaction? = nil) async throws -> Product? {
    let query: PostgresQuery =
      "SELECT \(unsafeSQL: Self.productColumns) FROM products p WHERE p.product_code = \(code)"
    let rows =
      if let transaction { try await transaction.query(query) } else {
        try await pool.query(query)
      }
    return try rows.first.map(Self.product(from:))
  }

  private static let productColumns = """
    p.product_code, p.display_name, p.currency, p.min_principal_minor, p.max_principal_minor,
    p.min_term_months, p.max_term_months, p.annual_rate_bp, p.origination_fee_bp, p.active,
    (SELECT COALESCE(array_agg(r.term_months ORDER BY r.term_months), '{}')
       FROM product_term_rates r WHERE r.product_code = p.product_code),
    (SELECT COALESCE(array_agg(r.annual_rate_bp ORDER BY r.term_months), '{}')
       FROM product_term_rates r WHERE r.product_code = p.product_code)
    """

  private static func product(from row: PostgresRow) throws -> Product {
    let (code, name, currency, minPrincipal, maxPrincipal, minTerm, maxTerm) = try row.decode(
      (String, String, String, Int64, Int64, Int, Int).self)
    let rate = try row.decode(Int.self, at: 7)
    let fee = try row.decode(Int.self, at: 8)
    let active = try row.decode(Bool.self, at: 9)
    let terms = try row.decode(PostgresArray<Int32>.self, at: 10).elements
    let rates = try row.decode(PostgresArray<Int32>.self, at: 11).elements
    return Product(
      code: code, displayName: name, currency: currency, minPrincipalMinor: minPrincipal,
      maxPrincipalMinor: maxPrincipal, minTermMonths: minTerm, maxTermMonths: maxTerm,
      annualRateBasisPoints: rate,
      rateByTermMonths: Dictionary(
        zip(terms, rates).map { (Int($0), Int($1)) }, uniquingKeysWith: { first, _ in first }),
      originationFeeBasisPoints: fee, active: active)
  }

  // MARK: Clients

  /// The client with `document`, created from `applicant` if absent.
  ///
  /// Concurrent creators of one client meet on the unique document key: one inserts, the other
  /// waits for it to commit and then reads its row.
  func findOrCreateClient(
    _ applicant: LendingApplicant, document: DocumentKey, now: Date,
    in transaction: PostgresTransaction
  ) async throws -> UUID {
    let birthDate = applicant.birthDate.flatMap(CivilDate.init)?.description
    let inserted = try await transaction.query(
      """
      INSERT INTO clients (client_id, document_kind, document_country, document_series,
        document_number, first_name, last_name, middle_name, birth_date, email, phone, created_at)
      VALUES (\(UUID()), \(document.kind), \(document.country), \(document.series),
        \(document.number), \(applicant.firstName), \(applicant.lastName),
        \(applicant.middleName), \(birthDate)::date, \(applicant.email), \(applicant.phone),
        \(now))
      ON CONFLICT (document_kind, document_country, document_series, document_number) DO NOTHING
      RETURNING client_id
      """)
    if let row = inserted.first { return try row.decode(UUID.self) }
    guard let id = try await clientID(document: document, in: transaction) else {
      throw PostgresError(.unexpectedResponse, reason: "client vanished after a conflict")
    }
    return id
  }

  /// The id of the client with `document`, or nil.
  func clientID(document: DocumentKey, in transaction: PostgresTransaction? = nil) async throws
    -> UUID?
  {
    let query: PostgresQuery = """
      SELECT client_id FROM clients
      WHERE document_kind = \(document.kind) AND document_country = \(document.country)
        AND document_series = \(document.series) AND document_number = \(document.number)
      """
    let rows =
      if let transaction { try await transaction.query(query) } else {
        try await pool.query(query)
      }
    return try rows.first?.decode(UUID.self)
  }

  /// Whether a client with `id` exists.
  func clientExists(_ id: UUID) async throws -> Bool {
    !(try await pool.query("SELECT 1 FROM clients WHERE client_id = \(id)")).isEmpty
  }

  /// The identity document of client `id`.
  func document(ofClient id: UUID, in transaction: PostgresTransaction) async throws
    -> DocumentKey?
  {
    let rows = try await transaction.query(
      """
      SELECT document_kind, document_country, document_series, document_number
      FROM clients WHERE client_id = \(id)
      """)
    guard let row = rows.first else { return nil }
    let (kind, country, series, number) = try row.decode((Int32, String, String, String).self)
    return DocumentKey(kind: kind, country: country, series: series, number: number)
  }
}

import Foundation
import Synchronization
import WirebankContracts
import WirebankJobs
import WirebankPostgres

/// The Product Engine's SQL: products and clients here, agreements and schedules in
/// `ProductEngineStore+Agreements.swift`. Every value is a bound parameter.
struct ProductEngineStore: Sendable {
  let pool: PostgresPool
  /// Starts the jobs this store enqueues on the service's own worker at once (nil: NOTIFY).
  var dispatcher: JobDispatcher? = nil
  /// The products, read once: shared by the copies of this store.
  let catalog = ProductCatalog()

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
  ///
  /// Products are reference data that only migrations write, and migrations run before the
  /// service starts: so the table is read once, on first use, and kept. This saves a statement
  /// per call on the hot paths (client history, CreateAgreement, GetProduct); the callers still
  /// check the product (active, limits, currency) as before.
  func product(code: String) async throws -> Product? {
    if let products = catalog.products { return products[code] }
    let rows = try await pool.query("SELECT \(unsafeSQL: Self.productColumns) FROM products p")
    let products = Dictionary(
      try rows.map { row in
        let product = try Self.product(from: row)
        return (product.code, product)
      }, uniquingKeysWith: { first, _ in first })
    catalog.products = products
    return products[code]
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

  /// The id of the client with `document`, or nil.
  func clientID(document: DocumentKey) async throws -> UUID? {
    let rows = try await pool.query(
      """
      SELECT client_id FROM clients
      WHERE document_kind = \(document.kind) AND document_country = \(document.country)
        AND document_series = \(document.series) AND document_number = \(document.number)
      """)
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

/// The products once read (see `ProductEngineStore.product(code:)`).
final class ProductCatalog: Sendable {
  private let loaded = Mutex<[String: Product]?>(nil)

  /// The products by code, or nil before the first read.
  var products: [String: Product]? {
    get { loaded.withLock { $0 } }
    set { loaded.withLock { $0 = newValue } }
  }
}

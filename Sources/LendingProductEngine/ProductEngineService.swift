import WirebankServiceSupport
import Foundation
import Logging
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// The Product Engine: loan products, clients (created on first use, keyed by identity
/// document), credit agreements with annuity schedules, and the client history Scoring reads.
///
/// Transport-independent: register it with any server (or an `InProcessTransport`). Its one
/// durable job, `agreements_to_payout`, is run by `ProductEngineRuntime`.
public struct ProductEngineService: ProductEngine.ServiceProtocol {
  /// The `ErrorInfo.domain` of this service's errors.
  public static let errorDomain = "product-engine.lending.wirebank"

  let store: ProductEngineStore
  let clock: any WallClock
  let logger: Logger
  /// The queue this service's jobs are enqueued on.
  let jobQueue: String

  /// A service on `pool` (migrated with `ProductEngineMigrations`).
  /// - Parameters:
  ///   - clock: the service clock: creation times, "today" for due dates and arrears.
  ///   - jobQueue: the queue of the runtime's job worker.
  ///   - dispatcher: starts the jobs the service enqueues on that worker at once.
  public init(
    pool: PostgresPool, clock: any WallClock = SystemWallClock(), logger: Logger,
    jobQueue: String = ProductEngineRuntime.defaultJobQueue, dispatcher: JobDispatcher? = nil
  ) {
    self.store = ProductEngineStore(pool: pool, dispatcher: dispatcher)
    self.clock = clock
    self.logger = logger
    self.jobQueue = jobQueue
  }

  /// The current instant to the microsecond, as PostgreSQL keeps it.
  var now: Date { clock.now().truncatedToMicroseconds }

  // MARK: Products

  /// Lists products by code (active ones unless `include_inactive`).
  public func listProducts(_ request: ProductEngineListProductsRequest, context: ServerContext)
    async throws -> ProductEngineListProductsResponse
  {
    try await translatingErrors {
      let size = PageToken.pageSize(request.page?.pageSize ?? 0)
      let filters = PageToken.fingerprint(["products", String(request.includeInactive)])
      let after = try decodePageToken(request.page?.pageToken ?? "", filters: filters)
      let products = try await store.products(
        includeInactive: request.includeInactive, afterCode: after, limit: size + 1)
      var response = ProductEngineListProductsResponse()
      response.products = products.prefix(size).map(\.proto)
      var page = CommonPageInfo()
      if products.count > size, let last = products.prefix(size).last {
        page.nextPageToken = PageToken(position: last.code, filters: filters).encoded
      }
      response.page = page
      return response
    }
  }

  /// Returns one product; NOT_FOUND if unknown.
  public func getProduct(_ request: ProductEngineGetProductRequest, context: ServerContext)
    async throws -> ProductEngineProduct
  {
    try await translatingErrors {
      guard let product = try await store.product(code: request.productCode) else {
        throw notFound("product", request.productCode, reason: "PRODUCT_NOT_FOUND")
      }
      return product.proto
    }
  }

  // MARK: Agreements

  /// Returns one agreement with its standing today; NOT_FOUND if unknown.
  public func getAgreement(_ request: ProductEngineGetAgreementRequest, context: ServerContext)
    async throws -> ProductEngineAgreement
  {
    try await translatingErrors {
      let id = try agreementID(request.agreementId)
      guard let agreement = try await store.agreement(id: id, today: CivilDate(utc: now)) else {
        throw notFound("agreement", request.agreementId, reason: "AGREEMENT_NOT_FOUND")
      }
      return agreement.proto
    }
  }

  /// Lists agreements newest first, optionally of one client or in one status.
  public func listAgreements(_ request: ProductEngineListAgreementsRequest, context: ServerContext)
    async throws -> ProductEngineListAgreementsResponse
  {
    try await translatingErrors {
      var violations = FieldViolations()
      let clientID = request.clientId.flatMap { UUID(uuidString: $0) }
      if let raw = request.clientId, clientID == nil {
        violations.add("client_id", "must be a client id (a UUID), got \(raw.count) characters")
      }
      let status = request.status.flatMap(AgreementStatus.init)
      if request.status != nil, status == nil {
        violations.add("status", "must be a defined agreement status")
      }
      try violations.check(domain: Self.errorDomain)
      let size = PageToken.pageSize(request.page?.pageSize ?? 0)
      let filters = PageToken.fingerprint([
        "agreements", clientID?.uuidString ?? "", status?.rawValue ?? "",
      ])
      let position = try decodePageToken(request.page?.pageToken ?? "", filters: filters)
      let before = try position.map { text in
        guard let seq = Int64(text) else { throw invalidPageToken() }
        return seq
      }
      let agreements = try await store.agreements(
        clientID: clientID, status: status, beforeSeq: before, limit: size + 1,
        today: CivilDate(utc: now))
      var response = ProductEngineListAgreementsResponse()
      response.agreements = agreements.prefix(size).map(\.proto)
      var page = CommonPageInfo()
      if agreements.count > size, let last = agreements.prefix(size).last {
        page.nextPageToken = PageToken(position: String(last.seq), filters: filters).encoded
      }
      response.page = page
      return response
    }
  }

  /// Returns an agreement's schedule with each entry's state today.
  public func getSchedule(_ request: ProductEngineGetScheduleRequest, context: ServerContext)
    async throws -> ProductEngineSchedule
  {
    try await translatingErrors {
      let id = try agreementID(request.agreementId)
      let today = CivilDate(utc: now)
      guard let agreement = try await store.agreement(id: id, today: today) else {
        throw notFound("agreement", request.agreementId, reason: "AGREEMENT_NOT_FOUND")
      }
      let entries = try await store.schedule(agreementID: id)
      var schedule = ProductEngineSchedule()
      schedule.agreementId = agreement.proto.agreementId
      schedule.entries = entries.map {
        $0.proto(currency: agreement.currency, today: today, accruing: agreement.status == .active)
      }
      let interest = entries.reduce(0) { $0 + $1.interestMinor }
      schedule.totalInterest = CommonMoney(interest, agreement.currency)
      schedule.totalPayable = CommonMoney(
        entries.reduce(0) { $0 + $1.totalMinor }, agreement.currency)
      return schedule
    }
  }

  // MARK: Helpers

  /// Parses an agreement id, or throws INVALID_ARGUMENT naming `field`.
  func agreementID(_ text: String, field: String = "agreement_id") throws -> UUID {
    guard let id = UUID(uuidString: text) else {
      var violations = FieldViolations()
      violations.add(field, text.isEmpty ? "is required" : "must be an agreement id (a UUID)")
      try violations.check(domain: Self.errorDomain)
      throw RPCError(.invalidArgument, "invalid \(field)")
    }
    return id
  }

  func notFound(_ what: String, _ id: String, reason: String) -> RPCError {
    RPCError.detailed(
      .notFound, "no \(what) with this id", reason: reason, domain: Self.errorDomain,
      metadata: ["\(what)_id": String(id.prefix(128))])
  }

  func decodePageToken(_ text: String, filters: String) throws -> String? {
    guard !text.isEmpty else { return nil }
    guard let token = PageToken(encoded: text), token.filters == filters else {
      throw invalidPageToken()
    }
    return token.position
  }

  func invalidPageToken() -> RPCError {
    var violations = FieldViolations()
    violations.add("page.page_token", "is not a token this list issued with these filters")
    return RPCError.detailed(
      .invalidArgument, "invalid request: page.page_token", reason: "INVALID_PAGE_TOKEN",
      domain: Self.errorDomain, violations: violations.items)
  }

  /// Runs `body`, turning database failures into statuses clients can act on.
  func translatingErrors<Result>(_ body: () async throws -> Result) async throws -> Result {
    do {
      return try await body()
    } catch let error as RPCError {
      throw error
    } catch let error as PostgresError {
      logger.error("database error", metadata: ["error": "\(error)"])
      throw RPCError.fromDatabase(error, domain: Self.errorDomain)
    }
  }
}

extension Date {
  /// This instant with the sub-microsecond part dropped, as PostgreSQL stores it.
  var truncatedToMicroseconds: Date {
    let micros = (timeIntervalSince1970 * 1_000_000).rounded(.down)
    return Date(timeIntervalSince1970: micros / 1_000_000)
  }
}

import WirebankServiceSupport
import Foundation
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

extension ProductEngineService {
  /// The job that requests the payout of a new agreement's principal.
  static let payoutJobKind = "agreements_to_payout"

  /// Finds or creates the client and creates the agreement (CREATED) with its schedule and its
  /// payout job, in one statement. Idempotent on `application_id`.
  public func createAgreement(
    _ request: ProductEngineCreateAgreementRequest, context: ServerContext
  )
    async throws -> ProductEngineCreateAgreementResponse
  {
    try await translatingErrors {
      let (applicant, document, terms, firstDueDate) = try validated(request)
      let now = self.now
      let today = CivilDate(utc: now)
      let applicationID = request.applicationId
      // The usual call is a new application: insert first, look for an earlier agreement only
      // when the product check fails or the insert meets one.
      let replayed = {
        try await store.agreement(applicationID: applicationID, today: today)
          .map { try replay($0, document: document, terms: terms) }
      }
      let new: ProductEngineStore.NewAgreement
      do {
        new = try await newAgreement(
          applicationID, terms: terms, firstDueDate: firstDueDate, now: now)
      } catch {
        // A replay answers with the agreement made before, whatever the product is now.
        if let existing = try await replayed() { return response(existing, created: false) }
        throw error
      }
      let payout = NewJob(
        kind: Self.payoutJobKind, payload: Array(new.id.uuidString.utf8), queue: jobQueue,
        uniqueKey: "\(Self.payoutJobKind):\(new.id.uuidString)",
        maxAttempts: ProductEngineRuntime.jobAttempts)
      var agreement: AgreementRecord?
      var created = false
      // A second try is needed only when another call was creating the same client; a try that
      // returns nothing wrote nothing, so the same agreement is offered again.
      for _ in 0..<3 where agreement == nil {
        agreement = try await store.createAgreement(
          new, applicant: applicant, document: document, enqueueing: payout)
        created = agreement != nil
        // An agreement for this application exists (a retried or concurrent call): a replay.
        if agreement == nil { agreement = try await replayed() }
      }
      guard let agreement else {
        throw RPCError.detailed(
          .aborted, "the client is being created by a concurrent call; retry",
          reason: "CONCURRENT_CLIENT", domain: Self.errorDomain)
      }
      if created {
        logger.info(
          "agreement created",
          metadata: [
            "agreement_id": "\(agreement.id)", "application_id": "\(applicationID)",
            "monthly_payment_minor": "\(agreement.monthlyPaymentMinor)",
          ])
      }
      return response(agreement, created: created)
    }
  }

  private func response(_ agreement: AgreementRecord, created: Bool)
    -> ProductEngineCreateAgreementResponse
  {
    var response = ProductEngineCreateAgreementResponse()
    response.agreement = agreement.proto
    response.created = created
    return response
  }

  /// The agreement `terms` make, checked against the product, without its client.
  private func newAgreement(
    _ applicationID: String, terms: LendingLoanTerms, firstDueDate: CivilDate?, now: Date
  ) async throws -> ProductEngineStore.NewAgreement {
    let product = try await availableProduct(terms)
    let principal = terms.principal?.amountMinor ?? 0
    let term = Int(terms.termMonths)
    let annuity = try Annuity(
      principalMinor: principal,
      annualRateBasisPoints: product.annualRate(forTermMonths: term), termMonths: term)
    let first = firstDueDate ?? CivilDate(utc: now).addingMonths(1)
    return ProductEngineStore.NewAgreement(
      id: .random(), applicationID: applicationID, newClientID: .random(), product: product,
      principalMinor: principal, termMonths: term, annuity: annuity,
      originationFeeMinor: Annuity.share(
        of: principal, basisPoints: product.originationFeeBasisPoints),
      dueDates: (0..<term).map { first.addingMonths($0, anchorDay: first.day) }, createdAt: now)
  }

  /// The existing agreement for a replayed call, if the call asks for the same thing.
  private func replay(
    _ existing: (AgreementRecord, DocumentKey), document: DocumentKey, terms: LendingLoanTerms
  ) throws -> AgreementRecord {
    let (agreement, storedDocument) = existing
    let same =
      storedDocument == document && agreement.productCode == terms.productCode
      && agreement.principalMinor == terms.principal?.amountMinor
      && agreement.currency == terms.principal?.currency
      && agreement.termMonths == Int(terms.termMonths)
    guard same else {
      throw RPCError.detailed(
        .failedPrecondition,
        "an agreement with other terms or another client exists for this application",
        reason: "APPLICATION_MISMATCH", domain: Self.errorDomain,
        metadata: [
          "application_id": agreement.applicationID,
          "agreement_id": agreement.id.uuidString.lowercased(),
        ])
    }
    return agreement
  }

  /// The active product of `terms`, checked against its limits.
  private func availableProduct(_ terms: LendingLoanTerms) async throws -> Product {
    guard let product = try await store.product(code: terms.productCode),
      product.active
    else {
      throw RPCError.detailed(
        .failedPrecondition, "the product does not exist or takes no new agreements",
        reason: "PRODUCT_UNAVAILABLE", domain: Self.errorDomain,
        metadata: ["product_code": String(terms.productCode.prefix(64))])
    }
    var violations = FieldViolations()
    let principal = terms.principal ?? CommonMoney()
    if principal.currency != product.currency {
      violations.add("terms.principal.currency", "must be \(product.currency) for this product")
    }
    if !(product.minPrincipalMinor...product.maxPrincipalMinor).contains(principal.amountMinor) {
      violations.add(
        "terms.principal.amount_minor",
        "must be between \(product.minPrincipalMinor) and \(product.maxPrincipalMinor)")
    }
    if !(product.minTermMonths...product.maxTermMonths).contains(Int(terms.termMonths)) {
      violations.add(
        "terms.term_months",
        "must be between \(product.minTermMonths) and \(product.maxTermMonths)")
    }
    try violations.check(domain: Self.errorDomain)
    return product
  }

  /// The request's parts once every field is known to be usable.
  private func validated(_ request: ProductEngineCreateAgreementRequest) throws -> (
    LendingApplicant, DocumentKey, LendingLoanTerms, CivilDate?
  ) {
    var violations = FieldViolations()
    if request.applicationId.isEmpty || request.applicationId.count > 128 {
      violations.add("application_id", "is required (at most 128 characters)")
    }
    let applicant = request.applicant ?? LendingApplicant()
    if request.applicant == nil { violations.add("applicant", "is required") }
    let document = DocumentKey(applicant.identityDocument ?? LendingIdentityDocument())
    if applicant.identityDocument == nil {
      violations.add("applicant.identity_document", "is required")
    } else {
      if !LendingIdentityDocumentKind.allCases.dropFirst().map(\.rawValue).contains(document.kind) {
        violations.add("applicant.identity_document.kind", "must be a defined document kind")
      }
      if document.country.count != 2 || !document.country.allSatisfy(\.isASCII)
        || !document.country.allSatisfy(\.isLetter)
      {
        violations.add("applicant.identity_document.issuing_country", "must be ISO 3166-1 alpha-2")
      }
      if document.number.isEmpty {
        violations.add("applicant.identity_document.number", "is required")
      }
    }
    let terms = request.terms ?? LendingLoanTerms()
    if request.terms == nil { violations.add("terms", "is required") }
    if terms.productCode.isEmpty { violations.add("terms.product_code", "is required") }
    if (terms.principal?.amountMinor ?? 0) <= 0 {
      violations.add("terms.principal.amount_minor", "must be positive")
    }
    if terms.termMonths <= 0 { violations.add("terms.term_months", "must be positive") }
    var firstDueDate: CivilDate?
    if let date = request.firstDueDate {
      firstDueDate = CivilDate(date)
      if firstDueDate == nil {
        violations.add("first_due_date", "must be a valid calendar date")
      } else if let first = firstDueDate, first <= CivilDate(utc: now) {
        violations.add("first_due_date", "must be after today")
      }
    }
    try violations.check(domain: Self.errorDomain)
    return (applicant, document, terms, firstDueDate)
  }
}

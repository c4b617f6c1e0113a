import WirebankServiceSupport
import Foundation
import WirebankContracts
import WirebankRPC

extension ProductEngineService {
  /// Scoring's view of a client: open agreements with arrears, lateness ever, and the inputs
  /// of payment-to-income (the proposed payment is priced for unknown clients too).
  public func getClientHistory(
    _ request: ProductEngineGetClientHistoryRequest, context: ServerContext
  ) async throws -> ProductEngineGetClientHistoryResponse {
    try await translatingErrors {
      let now = self.now
      let today = CivilDate(utc: now)
      var response = ProductEngineGetClientHistoryResponse()
      response.asOf = Google_Protobuf_Timestamp(now)
      var inputs = ProductEngineGetClientHistoryResponse.PaymentToIncomeInputs()
      // The proposed payment depends on the terms only, so it is priced for unknown clients too.
      if let terms = request.proposedTerms {
        inputs.proposedMonthlyPayment = try await proposedPayment(terms)
      }
      if let clientID = try await clientID(of: request) {
        let standing = try await store.standing(ofClient: clientID, today: today)
        response.knownClient = true
        response.clientId = clientID.uuidString.lowercased()
        response.openAgreements = standing.openAgreements.map(\.summary)
        response.closedAgreementsCount = Int32(clamping: standing.closedAgreementsCount)
        response.maxDaysPastDue = Int32(
          clamping: standing.openAgreements.map(\.daysPastDue).max() ?? 0)
        response.maxDaysPastDueEver = Int32(clamping: standing.maxDaysPastDueEver)
        var byCurrency: [String: Int64] = [:]
        for agreement in standing.openAgreements {
          byCurrency[agreement.currency, default: 0] += agreement.monthlyPaymentMinor
        }
        inputs.existingMonthlyPayments = byCurrency.sorted { $0.key < $1.key }.map {
          CommonMoney($0.value, $0.key)
        }
      }
      response.ptiInputs = inputs
      return response
    }
  }

  /// The client the request names, or nil when no client has that document or id.
  private func clientID(of request: ProductEngineGetClientHistoryRequest) async throws -> UUID? {
    switch request.client {
    case .identityDocument(let document)?:
      return try await store.clientID(document: DocumentKey(document))
    case .clientId(let text)?:
      let id = try agreementID(text, field: "client_id")
      return try await store.clientExists(id) ? id : nil
    case nil:
      var violations = FieldViolations()
      violations.add("client", "identity_document or client_id is required")
      try violations.check(domain: Self.errorDomain)
      return nil
    }
  }

  /// The annuity payment of `terms` at the product's rate for the term; nil when the product is
  /// unknown, in another currency, or the terms cannot be priced.
  private func proposedPayment(_ terms: LendingLoanTerms) async throws -> CommonMoney? {
    guard let principal = terms.principal,
      let product = try await store.product(code: terms.productCode),
      product.currency == principal.currency
    else { return nil }
    let term = Int(terms.termMonths)
    guard
      let payment = try? Annuity.monthlyPayment(
        principalMinor: principal.amountMinor,
        annualRateBasisPoints: product.annualRate(forTermMonths: term), termMonths: term)
    else { return nil }
    return CommonMoney(payment, product.currency)
  }
}

extension AgreementRecord {
  /// The agreement as Scoring sees it.
  var summary: ProductEngineGetClientHistoryResponse.AgreementSummary {
    var summary = ProductEngineGetClientHistoryResponse.AgreementSummary()
    summary.agreementId = id.uuidString.lowercased()
    summary.productCode = productCode
    summary.status = status.proto
    summary.outstandingPrincipal = CommonMoney(outstandingPrincipalMinor, currency)
    summary.monthlyPayment = CommonMoney(monthlyPaymentMinor, currency)
    summary.arrears = CommonMoney(arrearsMinor, currency)
    summary.daysPastDue = Int32(clamping: daysPastDue)
    return summary
  }
}

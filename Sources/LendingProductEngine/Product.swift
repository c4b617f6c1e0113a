import WirebankContracts

/// A loan product as the Product Engine stores it.
struct Product: Sendable, Hashable {
  var code: String
  var displayName: String
  var currency: String
  var minPrincipalMinor: Int64
  var maxPrincipalMinor: Int64
  var minTermMonths: Int
  var maxTermMonths: Int
  var annualRateBasisPoints: Int
  /// Overrides of the rate by term, in months.
  var rateByTermMonths: [Int: Int]
  /// The fee charged when an agreement is made, as a share of the principal.
  var originationFeeBasisPoints: Int
  var active: Bool

  /// The nominal annual rate for a term: its override if there is one.
  func annualRate(forTermMonths term: Int) -> Int {
    rateByTermMonths[term] ?? annualRateBasisPoints
  }

  /// Whether `principal` and `term` are within the product's limits (currency aside).
  func allows(principalMinor principal: Int64, termMonths term: Int) -> Bool {
    (minPrincipalMinor...maxPrincipalMinor).contains(principal)
      && (minTermMonths...maxTermMonths).contains(term)
  }

  var proto: ProductEngineProduct {
    var product = ProductEngineProduct()
    product.productCode = code
    product.displayName = displayName
    product.currency = currency
    product.minPrincipal = CommonMoney(minPrincipalMinor, currency)
    product.maxPrincipal = CommonMoney(maxPrincipalMinor, currency)
    product.minTermMonths = Int32(minTermMonths)
    product.maxTermMonths = Int32(maxTermMonths)
    product.annualRateBp = Int32(annualRateBasisPoints)
    product.annualRateBpByTermMonths = Dictionary(
      uniqueKeysWithValues: rateByTermMonths.map { (Int32($0.key), Int32($0.value)) })
    product.active = active
    return product
  }
}

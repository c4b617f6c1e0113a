/// A repayment schedule of equal monthly payments (an annuity), in integer minor units.
///
/// The payment is A = P·r(1+r)^n / ((1+r)^n − 1) with r = annual rate / 12, evaluated exactly as
/// a fraction of big integers and rounded half-up to a minor unit once. Each month's interest is
/// the remaining principal times r, rounded half-up; the rest of A repays principal. The last
/// payment repays whatever principal is left, so it absorbs every rounding and the principal
/// parts sum to P exactly. No floating point is involved anywhere.
public struct Annuity: Sendable, Hashable {
  /// The amount borrowed, in minor units.
  public let principalMinor: Int64
  /// The nominal annual rate in basis points (1890 = 18.90%).
  public let annualRateBasisPoints: Int
  /// The number of monthly payments.
  public let termMonths: Int
  /// The regular payment; the last one may differ by the accumulated rounding.
  public let monthlyPayment: Int64
  /// The payments, in order.
  public let installments: [AnnuityInstallment]

  /// The largest principal accepted (10^15 minor units), far above any product's limit.
  public static let maximumPrincipal: Int64 = 1_000_000_000_000_000
  /// The highest rate accepted, in basis points (1000% a year).
  public static let maximumRate = 100_000
  /// The longest term accepted, in months (100 years).
  public static let maximumTerm = 1200

  /// Computes the schedule of `principalMinor` at `annualRateBasisPoints` over `termMonths`.
  /// - Throws: `AnnuityError` when an input is outside the accepted ranges.
  public init(principalMinor: Int64, annualRateBasisPoints: Int, termMonths: Int)
    throws(AnnuityError)
  {
    let payment = try Self.monthlyPayment(
      principalMinor: principalMinor, annualRateBasisPoints: annualRateBasisPoints,
      termMonths: termMonths)
    self.principalMinor = principalMinor
    self.annualRateBasisPoints = annualRateBasisPoints
    self.termMonths = termMonths
    self.monthlyPayment = payment
    var installments: [AnnuityInstallment] = []
    installments.reserveCapacity(termMonths)
    var remaining = principalMinor
    for period in 1...termMonths {
      let interest = Self.monthlyInterest(
        on: remaining, annualRateBasisPoints: annualRateBasisPoints)
      // A ≥ P·r ≥ each month's interest, so the principal part is never negative.
      let principal = period == termMonths ? remaining : min(payment - interest, remaining)
      remaining -= principal
      installments.append(
        AnnuityInstallment(
          periodNumber: period, principal: principal, interest: interest,
          remainingPrincipal: remaining))
    }
    self.installments = installments
  }

  /// The sum of the interest parts.
  public var totalInterest: Int64 { installments.reduce(0) { $0 + $1.interest } }

  /// The sum of all payments: principal plus total interest.
  public var totalPayable: Int64 { principalMinor + totalInterest }

  /// The regular payment A, rounded half-up to a minor unit.
  /// - Throws: `AnnuityError` when an input is outside the accepted ranges.
  public static func monthlyPayment(
    principalMinor: Int64, annualRateBasisPoints: Int, termMonths: Int
  ) throws(AnnuityError) -> Int64 {
    guard (1...maximumPrincipal).contains(principalMinor) else {
      throw AnnuityError(.principalOutOfRange)
    }
    guard (0...maximumRate).contains(annualRateBasisPoints) else {
      throw AnnuityError(.rateOutOfRange)
    }
    guard (1...maximumTerm).contains(termMonths) else { throw AnnuityError(.termOutOfRange) }
    if annualRateBasisPoints == 0 {
      return roundedHalfUp(Int128(principalMinor), dividedBy: Int128(termMonths))
    }
    // r = b / D with D = 12 · 10000. With X = (D + b)^n and Y = D^n:
    // A = P · (b/D) · (X/Y) / ((X − Y)/Y) = P · b · X / (D · (X − Y)).
    let denominatorUnit = UInt64(monthsPerYear * basisPointsPerUnit)
    let rate = UInt64(annualRateBasisPoints)
    let grown = BigNatural.power(denominatorUnit + rate, termMonths)
    let base = BigNatural.power(denominatorUnit, termMonths)
    let numerator = grown.multiplied(by: UInt64(principalMinor)).multiplied(by: rate)
    let denominator = (grown - base).multiplied(by: denominatorUnit)
    // Half-up: ⌊(2·num + den) / (2·den)⌋.
    let doubledNumerator = numerator.multiplied(by: 2) + denominator
    guard let payment = BigNatural.quotient(doubledNumerator, denominator.multiplied(by: 2)),
      let result = Int64(exactly: payment)
    else { throw AnnuityError(.principalOutOfRange) }
    return result
  }

  /// One month's interest on `balance`: balance · rate / 120000, rounded half-up.
  public static func monthlyInterest(on balance: Int64, annualRateBasisPoints: Int) -> Int64 {
    roundedHalfUp(
      Int128(balance) * Int128(annualRateBasisPoints),
      dividedBy: Int128(monthsPerYear * basisPointsPerUnit))
  }

  /// `amount · basisPoints / 10000`, rounded half-up (fees, shares of income).
  public static func share(of amount: Int64, basisPoints: Int) -> Int64 {
    roundedHalfUp(Int128(amount) * Int128(basisPoints), dividedBy: Int128(basisPointsPerUnit))
  }

  /// `numerator / denominator` for non-negative values, rounded half-up.
  static func roundedHalfUp(_ numerator: Int128, dividedBy denominator: Int128) -> Int64 {
    precondition(numerator >= 0 && denominator > 0)
    return Int64((2 * numerator + denominator) / (2 * denominator))
  }

  static let monthsPerYear = 12
  static let basisPointsPerUnit = 10_000
}

/// One payment of an `Annuity`, in minor units.
public struct AnnuityInstallment: Sendable, Hashable {
  /// The 1-based number of the payment.
  public var periodNumber: Int
  /// The part that repays principal.
  public var principal: Int64
  /// The part that pays the month's interest.
  public var interest: Int64
  /// Principal still owed after this payment.
  public var remainingPrincipal: Int64

  /// principal + interest.
  public var total: Int64 { principal + interest }

  /// An installment with the given parts.
  public init(periodNumber: Int, principal: Int64, interest: Int64, remainingPrincipal: Int64) {
    self.periodNumber = periodNumber
    self.principal = principal
    self.interest = interest
    self.remainingPrincipal = remainingPrincipal
  }
}

/// Why an annuity cannot be computed.
public struct AnnuityError: Error, Sendable, Hashable, CustomStringConvertible {
  /// Which input is out of range.
  public enum Reason: Sendable, Hashable {
    /// The principal is not in 1…`Annuity.maximumPrincipal`.
    case principalOutOfRange
    /// The rate is not in 0…`Annuity.maximumRate` basis points.
    case rateOutOfRange
    /// The term is not in 1…`Annuity.maximumTerm` months.
    case termOutOfRange
  }

  /// Which input is out of range.
  public var reason: Reason

  init(_ reason: Reason) { self.reason = reason }

  /// A sentence naming the input.
  public var description: String {
    switch reason {
    case .principalOutOfRange: return "the principal is out of range"
    case .rateOutOfRange: return "the rate is out of range"
    case .termOutOfRange: return "the term is out of range"
    }
  }
}

import Foundation
import Testing

@testable import LendingProductEngine

/// A fixed-seed generator, so that a failing case can be reproduced.
struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct AnnuityTests {
  /// Values computed independently with Python's `fractions` (exact rationals).
  @Test(
    arguments: [
      (10_000_000, 1200, 12, 888_488, 888_485, 661_853),
      (100_000_000, 1890, 60, 2_588_556, 2_588_541, 55_313_345),
      (3_000_000, 2490, 3, 1_041_784, 1_041_785, 125_353),
      (500_000, 0, 12, 41_667, 41_663, 0),
      (1, 1, 1, 1, 1, 0),
      (99_999, 999, 7, 14_765, 14_767, 3358),
      (123_456_789, 1990, 12, 11_430_451, 11_430_451, 13_708_623),
      (1_000_000_000_000, 3650, 360, 30_417_295_428, 30_417_069_926, 9_950_226_128_578),
      (7, 0, 4, 2, 1, 0),
      (250_000_000, 1890, 36, 9_151_370, 9_151_374, 79_449_324),
    ] as [(Int64, Int, Int, Int64, Int64, Int64)])
  func matchesExactRationalArithmetic(
    principal: Int64, rate: Int, term: Int, payment: Int64, last: Int64, interest: Int64
  ) throws {
    let annuity = try Annuity(
      principalMinor: principal, annualRateBasisPoints: rate, termMonths: term)
    #expect(annuity.monthlyPayment == payment)
    #expect(annuity.installments.last?.total == last)
    #expect(annuity.totalInterest == interest)
  }

  @Test func randomSchedulesSumExactlyAndNeverGoNegative() throws {
    var generator = SplitMix64(state: 0x5EED_0005)
    for _ in 0..<3000 {
      let principal = Int64.random(in: 1000...10_000_000_000, using: &generator)
      let rate = Bool.random(using: &generator) ? 0 : Int.random(in: 1...6000, using: &generator)
      let term = Int.random(in: 1...120, using: &generator)
      let annuity = try Annuity(
        principalMinor: principal, annualRateBasisPoints: rate, termMonths: term)
      let entries = annuity.installments
      let context = "P=\(principal) bp=\(rate) n=\(term)"
      try #require(entries.count == term, "\(context)")
      // The principal parts repay exactly the principal, the totals exactly principal + interest.
      #expect(entries.reduce(0) { $0 + $1.principal } == principal, "\(context)")
      #expect(
        entries.reduce(0) { $0 + $1.total } == principal + annuity.totalInterest, "\(context)")
      #expect(annuity.totalPayable == principal + annuity.totalInterest, "\(context)")
      #expect(entries.last?.remainingPrincipal == 0, "\(context)")
      var remaining = principal
      for entry in entries {
        #expect(entry.principal >= 0 && entry.interest >= 0, "\(context) #\(entry.periodNumber)")
        #expect(entry.total == entry.principal + entry.interest)
        #expect(
          entry.interest == Annuity.monthlyInterest(on: remaining, annualRateBasisPoints: rate))
        remaining -= entry.principal
        #expect(entry.remainingPrincipal == remaining)
        // Every payment but the last is the regular one (unless the principal ran out early).
        if entry.periodNumber < term && entry.remainingPrincipal > 0 {
          #expect(entry.total == annuity.monthlyPayment, "\(context) #\(entry.periodNumber)")
        }
      }
      // The last payment absorbs the rounding: a drift of at most one minor unit per period,
      // compounded at the monthly rate (a bound, so floating point is fine here).
      let growth = pow(1 + Double(rate) / 120_000, Double(term))
      let bound = Int64((Double(term) * growth).rounded(.up)) + 1
      let last = try #require(entries.last)
      #expect(abs(last.total - annuity.monthlyPayment) <= bound, "\(context)")
      // The payment is the exact annuity rounded half-up: |2·A·den − 2·num| ≤ den.
      #expect(
        isHalfUpRounding(annuity.monthlyPayment, principal: principal, rate: rate, term: term),
        "\(context)")
    }
  }

  @Test func rejectsInputsOutOfRange() {
    #expect(throws: AnnuityError.self) {
      try Annuity(principalMinor: 0, annualRateBasisPoints: 1000, termMonths: 12)
    }
    #expect(throws: AnnuityError.self) {
      try Annuity(principalMinor: 100, annualRateBasisPoints: -1, termMonths: 12)
    }
    #expect(throws: AnnuityError.self) {
      try Annuity(principalMinor: 100, annualRateBasisPoints: 1000, termMonths: 0)
    }
  }

  @Test func sharesRoundHalfUp() {
    #expect(Annuity.share(of: 3_000_000, basisPoints: 150) == 45_000)
    #expect(Annuity.share(of: 1, basisPoints: 5000) == 1)  // 0.5 → 1
    #expect(Annuity.share(of: 1, basisPoints: 4999) == 0)
    #expect(Annuity.monthlyInterest(on: 60, annualRateBasisPoints: 1000) == 1)  // 0.5 → 1
  }

  /// Checks A against the exact fraction P·b·X / (D·(X − Y)) with big integers.
  private func isHalfUpRounding(_ payment: Int64, principal: Int64, rate: Int, term: Int) -> Bool {
    if rate == 0 {
      let doubled = 2 * Int64(term) * payment
      return doubled - Int64(term) <= 2 * principal && 2 * principal < doubled + Int64(term)
    }
    let unit: UInt64 = 120_000
    let grown = BigNatural.power(unit + UInt64(rate), term)
    let base = BigNatural.power(unit, term)
    let numerator = grown.multiplied(by: UInt64(principal)).multiplied(by: UInt64(rate))
    let denominator = (grown - base).multiplied(by: unit)
    let twiceNumerator = numerator.multiplied(by: 2)
    let low = denominator.multiplied(by: UInt64(2 * payment - 1))
    let high = denominator.multiplied(by: UInt64(2 * payment + 1))
    return low <= twiceNumerator && twiceNumerator < high
  }
}

@Suite struct CivilDateTests {
  @Test func monthEndsKeepTheAnchorDay() throws {
    let first = try #require(CivilDate(year: 2024, month: 1, day: 31))
    let dates = (0..<4).map { first.addingMonths($0, anchorDay: first.day).description }
    #expect(dates == ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"])
    let december = try #require(CivilDate(year: 2024, month: 12, day: 15))
    #expect(december.addingMonths(1).description == "2025-01-15")
    #expect(december.addingMonths(14).description == "2026-02-15")
  }

  @Test func daysSinceEpochRoundTrip() {
    for days in stride(from: -800_000, through: 800_000, by: 997) {
      #expect(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days)
    }
    #expect(CivilDate(utc: Date(timeIntervalSince1970: 1_735_689_600)).description == "2025-01-01")
    #expect(CivilDate(iso: "2025-02-29") == nil)
    #expect(CivilDate(iso: "2024-02-29")?.description == "2024-02-29")
  }
}

/// A non-negative integer of any size: just enough arithmetic to evaluate the annuity formula
/// exactly, where `(1 + r)^n` outgrows every fixed-width integer after a few dozen periods.
///
/// Limbs are 64-bit, least significant first, with no trailing zero limbs (zero is `[]`).
struct BigNatural: Sendable, Hashable, Comparable {
  private(set) var limbs: [UInt64]

  init(_ value: UInt64) {
    limbs = value == 0 ? [] : [value]
  }

  private init(limbs: [UInt64]) {
    self.limbs = limbs
    normalize()
  }

  var isZero: Bool { limbs.isEmpty }

  /// The value as a `UInt64`, or nil when it does not fit.
  var uint64Value: UInt64? {
    switch limbs.count {
    case 0: return 0
    case 1: return limbs[0]
    default: return nil
    }
  }

  private mutating func normalize() {
    while limbs.last == 0 { limbs.removeLast() }
  }

  /// `self · factor`.
  func multiplied(by factor: UInt64) -> BigNatural {
    guard factor != 0, !isZero else { return BigNatural(0) }
    var result: [UInt64] = []
    result.reserveCapacity(limbs.count + 1)
    var carry: UInt64 = 0
    for limb in limbs {
      let (high, low) = limb.multipliedFullWidth(by: factor)
      let (sum, overflow) = low.addingReportingOverflow(carry)
      result.append(sum)
      carry = high &+ (overflow ? 1 : 0)
    }
    if carry != 0 { result.append(carry) }
    return BigNatural(limbs: result)
  }

  /// `self^exponent` for a small base.
  static func power(_ base: UInt64, _ exponent: Int) -> BigNatural {
    var result = BigNatural(1)
    for _ in 0..<max(exponent, 0) { result = result.multiplied(by: base) }
    return result
  }

  static func + (lhs: BigNatural, rhs: BigNatural) -> BigNatural {
    var result: [UInt64] = []
    let count = max(lhs.limbs.count, rhs.limbs.count)
    result.reserveCapacity(count + 1)
    var carry = false
    for index in 0..<count {
      let left = index < lhs.limbs.count ? lhs.limbs[index] : 0
      let right = index < rhs.limbs.count ? rhs.limbs[index] : 0
      let (partial, overflow1) = left.addingReportingOverflow(right)
      let (sum, overflow2) = partial.addingReportingOverflow(carry ? 1 : 0)
      result.append(sum)
      carry = overflow1 || overflow2
    }
    if carry { result.append(1) }
    return BigNatural(limbs: result)
  }

  /// `lhs − rhs`; the caller guarantees `lhs ≥ rhs`.
  static func - (lhs: BigNatural, rhs: BigNatural) -> BigNatural {
    precondition(lhs >= rhs, "BigNatural subtraction would go negative")
    var result = lhs.limbs
    var borrow = false
    for index in result.indices {
      let right = index < rhs.limbs.count ? rhs.limbs[index] : 0
      let (partial, overflow1) = result[index].subtractingReportingOverflow(right)
      let (difference, overflow2) = partial.subtractingReportingOverflow(borrow ? 1 : 0)
      result[index] = difference
      borrow = overflow1 || overflow2
    }
    return BigNatural(limbs: result)
  }

  /// `self · 2^bits`, for `bits` in `0..<64`.
  func shiftedLeft(by bits: Int) -> BigNatural {
    precondition((0..<64).contains(bits))
    guard bits > 0, !isZero else { return self }
    var result: [UInt64] = []
    result.reserveCapacity(limbs.count + 1)
    var carry: UInt64 = 0
    for limb in limbs {
      result.append((limb << UInt64(bits)) | carry)
      carry = limb >> UInt64(64 - bits)
    }
    if carry != 0 { result.append(carry) }
    return BigNatural(limbs: result)
  }

  /// `⌊numerator / denominator⌋` when it fits in 64 bits, else nil (binary long division).
  static func quotient(_ numerator: BigNatural, _ denominator: BigNatural) -> UInt64? {
    precondition(!denominator.isZero, "division by zero")
    // A quotient of 2^64 or more means numerator ≥ denominator · 2^64.
    if numerator >= BigNatural(limbs: [0] + denominator.limbs) { return nil }
    var remainder = numerator
    var quotient: UInt64 = 0
    for bit in stride(from: 63, through: 0, by: -1) {
      let candidate = denominator.shiftedLeft(by: bit)
      if remainder >= candidate {
        remainder = remainder - candidate
        quotient |= UInt64(1) << UInt64(bit)
      }
    }
    return quotient
  }

  static func < (lhs: BigNatural, rhs: BigNatural) -> Bool {
    if lhs.limbs.count != rhs.limbs.count { return lhs.limbs.count < rhs.limbs.count }
    for index in lhs.limbs.indices.reversed() where lhs.limbs[index] != rhs.limbs[index] {
      return lhs.limbs[index] < rhs.limbs[index]
    }
    return false
  }
}

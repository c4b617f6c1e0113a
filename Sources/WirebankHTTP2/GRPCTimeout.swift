/// The `grpc-timeout` header: a positive integer of at most 8 digits and a unit letter.
///
/// Grammar (grpc/grpc `doc/PROTOCOL-HTTP2.md`): `TimeoutValue TimeoutUnit`, where the value has
/// 1 to 8 ASCII digits and the unit is one of `H M S m u n` (hours … nanoseconds).
enum GRPCTimeout {
  /// The largest value the header can carry (8 digits).
  static let maximumValue: Int64 = 99_999_999

  /// The duration `text` stands for, or nil when it breaks the grammar.
  static func parse(_ text: some BidirectionalCollection<UInt8>) -> Duration? {
    guard text.count >= 2, text.count <= 9, let unit = text.last else { return nil }
    var value: Int64 = 0
    for byte in text.dropLast() {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
      value = value * 10 + Int64(byte - UInt8(ascii: "0"))
    }
    switch unit {
    case UInt8(ascii: "H"): return .seconds(value * 3600)
    case UInt8(ascii: "M"): return .seconds(value * 60)
    case UInt8(ascii: "S"): return .seconds(value)
    case UInt8(ascii: "m"): return .milliseconds(value)
    case UInt8(ascii: "u"): return .microseconds(value)
    case UInt8(ascii: "n"): return .nanoseconds(value)
    default: return nil
    }
  }

  /// The duration `text` stands for, or nil when it breaks the grammar.
  static func parse(_ text: String) -> Duration? {
    parse(Array(text.utf8))
  }

  /// The header value for `duration`, in the finest unit that fits in 8 digits.
  ///
  /// Rounds up, so that the peer never sees a shorter timeout than ours; a negative or zero
  /// duration becomes `1n`, and one beyond 99,999,999 hours is capped there.
  static func encode(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    guard seconds > 0 || (seconds == 0 && attoseconds > 0) else { return "1n" }
    // Total nanoseconds, rounded up; saturates for durations far beyond the header's range.
    let (wholeNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    let fraction = (attoseconds + 999_999_999) / 1_000_000_000
    let nanos = overflow ? Int64.max : wholeNanos.addingReportingOverflow(fraction).partialValue
    let units: [(divisor: Int64, letter: Character)] = [
      (1, "n"), (1_000, "u"), (1_000_000, "m"), (1_000_000_000, "S"), (60_000_000_000, "M"),
      (3_600_000_000_000, "H"),
    ]
    for (divisor, letter) in units {
      let value = nanos / divisor + (nanos % divisor == 0 ? 0 : 1)
      if value <= maximumValue { return "\(value)\(letter)" }
    }
    return "\(maximumValue)H"
  }
}

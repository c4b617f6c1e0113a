/// An exact decimal number for `numeric` columns, held as its decimal string ("-12.50").
///
/// Money stays in integer minor units elsewhere; this type is for rates and other decimals that
/// must not pass through floating point.
public struct PostgresNumeric: Hashable, Sendable, CustomStringConvertible,
  LosslessStringConvertible
{
  /// The decimal text, as validated at creation or as the server sent it.
  public let description: String

  /// A numeric from decimal text (`12`, `-0.125`, `1e-3`, `NaN`, `Infinity`); `nil` if not one.
  public init?(_ text: String) {
    guard Self.isDecimal(text) else { return nil }
    description = text
  }

  /// A numeric from an integer.
  public init(_ value: Int64) { description = String(value) }

  init(trusted text: String) { description = text }

  private static func isDecimal(_ text: String) -> Bool {
    if text == "NaN" || text == "Infinity" || text == "-Infinity" { return true }
    var bytes = Substring(text).utf8[...]
    if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
      bytes = bytes.dropFirst()
    }
    let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    let integerDigits = bytes.prefix(while: isDigit).count
    bytes = bytes.dropFirst(integerDigits)
    var fractionDigits = 0
    if bytes.first == UInt8(ascii: ".") {
      bytes = bytes.dropFirst()
      fractionDigits = bytes.prefix(while: isDigit).count
      bytes = bytes.dropFirst(fractionDigits)
    }
    guard integerDigits + fractionDigits > 0 else { return false }
    if let marker = bytes.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
      bytes = bytes.dropFirst()
      if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
        bytes = bytes.dropFirst()
      }
      let exponentDigits = bytes.prefix(while: isDigit).count
      guard exponentDigits > 0 else { return false }
      bytes = bytes.dropFirst(exponentDigits)
    }
    return bytes.isEmpty
  }
}

extension PostgresNumeric: PostgresEncodable {
  /// `numeric`
  public static var postgresType: PostgresDataType { .numeric }
  /// Sent as text, which the server parses exactly.
  public static var postgresFormat: PostgresFormat { .text }
  /// The decimal text.
  public func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: description.utf8) }
}

extension PostgresNumeric: PostgresDecodable {
  /// From `numeric` (its base-10000 binary form) or integer columns.
  public static func decode(from bytes: UnsafeRawBufferPointer, type: PostgresDataType) throws
    -> PostgresNumeric
  {
    switch type {
    case .int2, .int4, .int8: return PostgresNumeric(try Int64.decode(from: bytes, type: type))
    case .numeric: return PostgresNumeric(trusted: try decimalText(bytes))
    default: throw mismatch(type)
    }
  }

  /// Renders the binary form: ndigits, weight, sign, dscale, then base-10000 digits.
  private static func decimalText(_ bytes: UnsafeRawBufferPointer) throws -> String {
    let count = Int(try bytes.readBigEndian(Int16.self, at: 0))
    let weight = Int(try bytes.readBigEndian(Int16.self, at: 2))
    let sign = try bytes.readBigEndian(UInt16.self, at: 4)
    let scale = Int(try bytes.readBigEndian(Int16.self, at: 6))
    switch sign {
    case 0xC000: return "NaN"
    case 0xD000: return "Infinity"
    case 0xF000: return "-Infinity"
    case 0x0000, 0x4000: break
    default: throw PostgresCodingFailure("malformed numeric value")
    }
    guard count >= 0, scale >= 0, bytes.count == 8 + 2 * count else {
      throw PostgresCodingFailure("malformed numeric value")
    }
    var digits: [Int] = []
    digits.reserveCapacity(count)
    for index in 0..<count {
      let digit = Int(try bytes.readBigEndian(Int16.self, at: 8 + 2 * index))
      guard (0..<10_000).contains(digit) else {
        throw PostgresCodingFailure("malformed numeric value")
      }
      digits.append(digit)
    }
    let digit = { (index: Int) in index >= 0 && index < digits.count ? digits[index] : 0 }
    let padded = { (value: Int) -> String in
      let text = String(value)
      return String(repeating: "0", count: 4 - text.count) + text
    }
    var text = sign == 0x4000 ? "-" : ""
    if weight >= 0 {
      text += String(digit(0))
      if weight > 0 { for index in 1...weight { text += padded(digit(index)) } }
    } else {
      text += "0"
    }
    if scale > 0 {
      var fraction = ""
      var index = weight + 1
      while fraction.count < scale {
        fraction += padded(digit(index))
        index += 1
      }
      text += "." + fraction.prefix(scale)
    }
    return text
  }
}

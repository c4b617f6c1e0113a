/// The percent-encoding of `grpc-message` (grpc/grpc `doc/PROTOCOL-HTTP2.md`).
///
/// The message is UTF-8; bytes outside printable ASCII (0x20–0x7E) and `%` itself are sent as
/// `%XX`. Decoding is lenient, as the spec asks: a `%` not followed by two hex digits is kept
/// as is, and bytes that do not form UTF-8 are replaced rather than refused.
enum PercentEncoding {
  /// `message` with every byte outside 0x20–0x7E, and `%`, written as `%XX`.
  static func encode(_ message: String) -> String {
    let utf8 = message.utf8
    guard utf8.contains(where: needsEscape) else { return message }
    var output: [UInt8] = []
    output.reserveCapacity(utf8.count * 3)
    for byte in utf8 {
      if needsEscape(byte) {
        output.append(UInt8(ascii: "%"))
        output.append(hexDigits[Int(byte >> 4)])
        output.append(hexDigits[Int(byte & 0x0F)])
      } else {
        output.append(byte)
      }
    }
    return String(decoding: output, as: UTF8.self)
  }

  /// The message `encoded` stands for.
  static func decode(_ encoded: some Collection<UInt8>) -> String {
    guard encoded.contains(UInt8(ascii: "%")) else {
      return String(decoding: encoded, as: UTF8.self)
    }
    let bytes = Array(encoded)
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
        let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
      {
        output.append(high << 4 | low)
        index += 3
      } else {
        output.append(byte)
        index += 1
      }
    }
    return String(decoding: output, as: UTF8.self)
  }

  /// The message `encoded` stands for.
  static func decode(_ encoded: String) -> String {
    decode(Array(encoded.utf8))
  }

  private static let hexDigits = Array("0123456789ABCDEF".utf8)

  private static func needsEscape(_ byte: UInt8) -> Bool {
    byte < 0x20 || byte > 0x7E || byte == UInt8(ascii: "%")
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
  }
}

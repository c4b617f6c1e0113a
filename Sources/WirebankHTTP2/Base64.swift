/// Base64 for `-bin` metadata values (RFC 4648 §4).
///
/// gRPC senders may omit the padding, so decoding accepts both padded and unpadded input;
/// encoding omits it, as grpc-core does.
enum Base64 {
  /// `bytes` in base64, without padding.
  static func encode(_ bytes: some Collection<UInt8>) -> String {
    var output: [UInt8] = []
    output.reserveCapacity((bytes.count + 2) / 3 * 4)
    var iterator = bytes.makeIterator()
    while let first = iterator.next() {
      let second = iterator.next()
      let third = iterator.next()
      let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
      output.append(alphabet[Int(group >> 18 & 0x3F)])
      output.append(alphabet[Int(group >> 12 & 0x3F)])
      if second != nil { output.append(alphabet[Int(group >> 6 & 0x3F)]) }
      if third != nil { output.append(alphabet[Int(group & 0x3F)]) }
    }
    return String(decoding: output, as: UTF8.self)
  }

  /// The bytes `text` encodes, or nil when it is not base64 (padded or not).
  static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
    var input = Array(text)
    while input.last == UInt8(ascii: "=") { input.removeLast() }
    guard input.count % 4 != 1 else { return nil }
    var output: [UInt8] = []
    output.reserveCapacity(input.count * 3 / 4)
    var group: UInt32 = 0
    var count = 0
    for byte in input {
      guard let value = decodingTable[Int(byte)] else { return nil }
      group = group << 6 | UInt32(value)
      count += 1
      if count == 4 {
        output.append(UInt8(truncatingIfNeeded: group >> 16))
        output.append(UInt8(truncatingIfNeeded: group >> 8))
        output.append(UInt8(truncatingIfNeeded: group))
        group = 0
        count = 0
      }
    }
    if count == 2 {
      output.append(UInt8(truncatingIfNeeded: group >> 4))
    } else if count == 3 {
      output.append(UInt8(truncatingIfNeeded: group >> 10))
      output.append(UInt8(truncatingIfNeeded: group >> 2))
    }
    return output
  }

  private static let alphabet = Array(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  private static let decodingTable: [UInt8?] = {
    var table = [UInt8?](repeating: nil, count: 256)
    for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
    return table
  }()
}

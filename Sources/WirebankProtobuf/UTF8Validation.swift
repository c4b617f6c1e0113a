/// UTF-8 checks for `string` fields: well-formed (no overlongs, surrogates or values past
/// U+10FFFF) and free of U+0000, which protobuf-c's NUL-terminated strings cannot carry.
enum UTF8Validation {
  /// Whether the bytes are ASCII without NUL (most strings in practice): checked a machine word
  /// at a time, the last word overlapping the previous one, so short strings take one or two
  /// loads. `check` finds the fault, if any, when this says no.
  @inline(__always)
  static func isPlainASCII(_ start: UnsafePointer<UInt8>, count: Int) -> Bool {
    let raw = UnsafeRawPointer(start)
    if count >= 8 {
      var index = 0
      while index < count - 8 {
        guard isPlainASCII(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) else {
          return false
        }
        index += 8
      }
      return isPlainASCII(raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
    }
    if count >= 4 {
      let first = UInt64(raw.loadUnaligned(as: UInt32.self))
      let last = UInt64(raw.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
      return isPlainASCII(first << 32 | last)
    }
    for index in 0..<count where start[index] == 0 || start[index] >= 0x80 { return false }
    return true
  }

  @inline(__always)
  private static func isPlainASCII(_ word: UInt64) -> Bool {
    let hasHighBit = word & 0x8080_8080_8080_8080 != 0
    let hasZeroByte = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0
    return !hasHighBit && !hasZeroByte
  }

  static func check(
    _ start: UnsafePointer<UInt8>, count: Int, baseOffset: Int
  ) throws(WireValidator.Fault) {
    var index = 0
    while index < count {
      // Fast path: eight ASCII bytes without a NUL at a time.
      if count - index >= 8 {
        if isPlainASCII(UnsafeRawPointer(start + index).loadUnaligned(as: UInt64.self)) {
          index += 8
          continue
        }
      }
      let lead = start[index]
      if lead == 0 { throw .init(code: .nulInString, offset: baseOffset + index) }
      if lead < 0x80 {
        index += 1
        continue
      }
      let length: Int
      var lowest: UInt8 = 0x80
      var highest: UInt8 = 0xbf
      switch lead {
      case 0xc2...0xdf: length = 2
      case 0xe0: length = 3; lowest = 0xa0
      case 0xe1...0xec, 0xee...0xef: length = 3
      case 0xed: length = 3; highest = 0x9f
      case 0xf0: length = 4; lowest = 0x90
      case 0xf1...0xf3: length = 4
      case 0xf4: length = 4; highest = 0x8f
      default: throw .init(code: .invalidUTF8, offset: baseOffset + index)
      }
      guard count - index >= length else {
        throw .init(code: .invalidUTF8, offset: baseOffset + index)
      }
      let second = start[index + 1]
      guard second >= lowest, second <= highest else {
        throw .init(code: .invalidUTF8, offset: baseOffset + index)
      }
      for continuation in 2..<length where start[index + continuation] & 0xc0 != 0x80 {
        throw .init(code: .invalidUTF8, offset: baseOffset + index)
      }
      index += length
    }
  }
}

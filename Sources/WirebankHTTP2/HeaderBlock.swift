/// A received header block: the names and values of its fields, stored back to back.
///
/// The session wrapper copies each field out of nghttp2 (whose buffers live only during the
/// header callback) into one growing byte array; a block is a slice of its field list. Copies
/// share the storage, so handing a block around costs no allocation.
struct HeaderBlock: Sendable {
  /// Where one field's name and value sit in the storage.
  struct FieldRange: Sendable {
    var nameStart: Int32
    var nameCount: Int32
    var valueStart: Int32
    var valueCount: Int32
  }

  let storage: [UInt8]
  let ranges: ArraySlice<FieldRange>

  /// A block over fields already copied into `storage`.
  init(storage: [UInt8], ranges: ArraySlice<FieldRange>) {
    self.storage = storage
    self.ranges = ranges
  }

  /// A block of `fields`, for tests and for building blocks by hand.
  init(_ fields: [(String, String)]) {
    var storage: [UInt8] = []
    var ranges: [FieldRange] = []
    for (name, value) in fields {
      let nameStart = storage.count
      storage.append(contentsOf: name.utf8)
      let valueStart = storage.count
      storage.append(contentsOf: value.utf8)
      ranges.append(
        FieldRange(
          nameStart: Int32(nameStart), nameCount: Int32(name.utf8.count),
          valueStart: Int32(valueStart), valueCount: Int32(value.utf8.count)))
    }
    self.init(storage: storage, ranges: ranges[...])
  }

  /// The number of fields.
  var count: Int { ranges.count }

  /// Calls `body` with each field's name and value bytes, in order.
  func forEach(_ body: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) {
    storage.withUnsafeBytes { bytes in
      for range in ranges {
        body(
          UnsafeRawBufferPointer(
            rebasing: bytes[Int(range.nameStart)..<Int(range.nameStart + range.nameCount)]),
          UnsafeRawBufferPointer(
            rebasing: bytes[Int(range.valueStart)..<Int(range.valueStart + range.valueCount)]))
      }
    }
  }

  /// The fields as strings (for tests and diagnostics).
  var fields: [(name: String, value: String)] {
    var result: [(name: String, value: String)] = []
    forEach { name, value in
      result.append(
        (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }
    return result
  }

  /// The first value of `name`, as a string.
  func value(of name: String) -> String? {
    fields.first { $0.name == name }?.value
  }
}

extension UnsafeRawBufferPointer {
  /// Whether the bytes equal `text`'s UTF-8 bytes.
  func equals(_ text: StaticString) -> Bool {
    guard count == text.utf8CodeUnitCount else { return false }
    guard let base = baseAddress else { return count == 0 }
    return memcmp(base, text.utf8Start, count) == 0
  }

  /// Whether the bytes begin with `text`'s UTF-8 bytes.
  func hasPrefix(_ text: StaticString) -> Bool {
    guard count >= text.utf8CodeUnitCount else { return false }
    guard let base = baseAddress else { return text.utf8CodeUnitCount == 0 }
    return memcmp(base, text.utf8Start, text.utf8CodeUnitCount) == 0
  }

  /// The bytes as a string (invalid UTF-8 is repaired).
  var string: String { String(decoding: self, as: UTF8.self) }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

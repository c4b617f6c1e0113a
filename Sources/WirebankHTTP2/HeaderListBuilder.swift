import CNghttp2

/// An outgoing header list, built without an allocation per field.
///
/// Names and values are copied back to back into one byte array; `withNameValuePairs` lays
/// nghttp2's `nghttp2_nv` array over it for the length of one `nghttp2_submit_*` call (which
/// copies the fields into its HPACK encoder before returning). Reuse one builder per connection
/// with `removeAll()` to keep its capacity.
struct HeaderListBuilder {
  private var bytes: [UInt8] = []
  private var ranges: [HeaderBlock.FieldRange] = []
  private var pairs: [nghttp2_nv] = []

  /// An empty list.
  init() {}

  /// The number of fields.
  var count: Int { ranges.count }

  /// Whether the list has no fields.
  var isEmpty: Bool { ranges.isEmpty }

  /// Appends the field `name: value` (the name must already be lowercase).
  mutating func add(_ name: String, _ value: String) {
    let nameStart = bytes.count
    bytes.append(contentsOf: name.utf8)
    let valueStart = bytes.count
    bytes.append(contentsOf: value.utf8)
    ranges.append(
      HeaderBlock.FieldRange(
        nameStart: Int32(nameStart), nameCount: Int32(valueStart - nameStart),
        valueStart: Int32(valueStart), valueCount: Int32(bytes.count - valueStart)))
  }

  /// Appends the field `name: value` from constant text.
  mutating func add(_ name: StaticString, _ value: StaticString) {
    let nameStart = bytes.count
    bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    let valueStart = bytes.count
    bytes.append(
      contentsOf: UnsafeBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    ranges.append(
      HeaderBlock.FieldRange(
        nameStart: Int32(nameStart), nameCount: Int32(valueStart - nameStart),
        valueStart: Int32(valueStart), valueCount: Int32(bytes.count - valueStart)))
  }

  /// Appends the field `name: value` with a constant name.
  mutating func add(_ name: StaticString, _ value: String) {
    let nameStart = bytes.count
    bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    let valueStart = bytes.count
    bytes.append(contentsOf: value.utf8)
    ranges.append(
      HeaderBlock.FieldRange(
        nameStart: Int32(nameStart), nameCount: Int32(valueStart - nameStart),
        valueStart: Int32(valueStart), valueCount: Int32(bytes.count - valueStart)))
  }

  /// Empties the list, keeping its storage.
  mutating func removeAll() {
    bytes.removeAll(keepingCapacity: true)
    ranges.removeAll(keepingCapacity: true)
  }

  /// The fields as a received block would present them (for tests).
  var block: HeaderBlock { HeaderBlock(storage: bytes, ranges: ranges[...]) }

  /// Calls `body` with an `nghttp2_nv` array over the fields, valid only during the call.
  mutating func withNameValuePairs<Result>(
    _ body: (UnsafePointer<nghttp2_nv>?, Int) -> Result
  ) -> Result {
    pairs.removeAll(keepingCapacity: true)
    return bytes.withUnsafeMutableBufferPointer { storage in
      let base = storage.baseAddress
      for range in ranges {
        pairs.append(
          nghttp2_nv(
            name: base.map { $0 + Int(range.nameStart) }, value: base.map { $0 + Int(range.valueStart) },
            namelen: Int(range.nameCount), valuelen: Int(range.valueCount),
            flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
      }
      return pairs.withUnsafeBufferPointer { body($0.baseAddress, $0.count) }
    }
  }
}

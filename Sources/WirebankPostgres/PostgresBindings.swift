/// The values bound to a query's `$n` placeholders, already in wire form.
///
/// All values share one byte buffer, so binding does not allocate per value. A value that cannot
/// be encoded (for example text holding U+0000) is remembered and reported when the query runs,
/// naming the placeholder but not the value.
public struct PostgresBindings: Sendable {
  var types: [UInt32] = []
  var formats: [Int32] = []
  var offsets: [Int] = []
  /// Byte lengths; -1 for NULL.
  var lengths: [Int32] = []
  var bytes: [UInt8] = []
  var failure: PostgresError?

  /// No values.
  public init() {}

  /// The number of bound values.
  public var count: Int { types.count }

  /// Makes room for `values` more values of about `bytesEach` bytes, so that binding them does
  /// not grow the buffers step by step.
  mutating func reserveCapacity(values: Int, bytesEach: Int = 16) {
    types.reserveCapacity(count + values)
    formats.reserveCapacity(count + values)
    offsets.reserveCapacity(count + values)
    lengths.reserveCapacity(count + values)
    bytes.reserveCapacity(bytes.count + values * bytesEach)
  }

  /// Binds one more value, which becomes placeholder `$count`.
  public mutating func append<Value: PostgresEncodable>(_ value: Value) {
    types.append(Value.postgresType.rawValue)
    formats.append(Value.postgresFormat.rawValue)
    offsets.append(bytes.count)
    guard !value.isPostgresNull else {
      lengths.append(-1)
      return
    }
    let start = bytes.count
    do {
      try value.encode(into: &bytes)
    } catch {
      bytes.removeSubrange(start...)
      lengths.append(-1)
      if failure == nil {
        let reason = (error as? PostgresCodingFailure)?.reason ?? "\(Value.self) cannot be encoded"
        failure = PostgresError(.invalidParameter, reason: "parameter $\(count): \(reason)")
      }
      return
    }
    guard let length = Int32(exactly: bytes.count - start) else {
      bytes.removeSubrange(start...)
      lengths.append(-1)
      if failure == nil {
        failure = PostgresError(.invalidParameter, reason: "parameter $\(count) is over 2 GiB")
      }
      return
    }
    lengths.append(length)
    // Text-format values are read by libpq as C strings.
    if Value.postgresFormat == .text { bytes.append(0) }
  }

  /// Throws the error of a value that could not be bound, before anything is sent.
  func validate() throws {
    if let failure { throw failure }
    guard count <= Int(UInt16.max) else {
      throw PostgresError(.invalidParameter, reason: "more than 65535 parameters")
    }
  }

  /// Calls `body` with the C arrays `PQexecParams` takes; the pointers live only inside `body`.
  func withLibpqArguments<Result>(
    _ body: (
      _ types: UnsafePointer<UInt32>?, _ values: UnsafePointer<UnsafePointer<CChar>?>?,
      _ lengths: UnsafePointer<Int32>?, _ formats: UnsafePointer<Int32>?
    ) throws -> Result
  ) throws -> Result {
    try validate()
    // A non-NULL empty value still needs a non-NULL pointer: keep the buffer non-empty.
    let storage = bytes.isEmpty ? [0] : bytes
    return try storage.withUnsafeBytes { buffer in
      var values: [UnsafePointer<CChar>?] = []
      values.reserveCapacity(count)
      for index in 0..<count {
        let value = buffer.baseAddress.map { $0 + offsets[index] }
        values.append(lengths[index] < 0 ? nil : value?.assumingMemoryBound(to: CChar.self))
      }
      return try types.withUnsafeBufferPointer { types in
        try values.withUnsafeBufferPointer { values in
          try lengths.withUnsafeBufferPointer { lengths in
            try formats.withUnsafeBufferPointer { formats in
              try body(
                types.baseAddress, values.baseAddress, lengths.baseAddress, formats.baseAddress)
            }
          }
        }
      }
    }
  }
}

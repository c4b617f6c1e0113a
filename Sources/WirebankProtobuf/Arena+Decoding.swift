import CProtobufC
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// Readers generated code uses to build Swift values from structs protobuf-c unpacked.
extension Arena {
  /// A Swift string from a NUL-terminated C string (NULL reads as "").
  ///
  /// The validator has already checked the bytes are UTF-8 without U+0000.
  @inlinable
  public func swiftString(_ pointer: UnsafePointer<CChar>?) -> String {
    guard let pointer else { return "" }
    let count = strlen(pointer)
    return pointer.withMemoryRebound(to: UInt8.self, capacity: count) {
      String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
    }
  }

  /// A repeated string field.
  @inlinable
  public func swiftStrings(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int)
    -> [String]
  {
    guard let pointer, count > 0 else { return [] }
    return (0..<count).map { swiftString(pointer[$0]) }
  }

  /// A `bytes` field; a large payload is adopted from the arena without a copy.
  @inlinable
  public func swiftData(_ binary: ProtobufCBinaryData) -> Data {
    guard binary.len > 0, let data = binary.data else { return Data() }
    if binary.len >= Arena.largeAllocationThreshold, adoptLargeAllocation(UnsafeMutableRawPointer(data)) {
      return Data(bytesNoCopy: data, count: binary.len, deallocator: .free)
    }
    return Data(bytes: data, count: binary.len)
  }

  /// A repeated `bytes` field.
  @inlinable
  public func swiftDataArray(_ pointer: UnsafeMutablePointer<ProtobufCBinaryData>?, count: Int)
    -> [Data]
  {
    guard let pointer, count > 0 else { return [] }
    return (0..<count).map { swiftData(pointer[$0]) }
  }

  /// A repeated scalar field whose Swift and C layouts agree.
  @inlinable
  public func swiftScalars<T: BitwiseCopyable>(_ pointer: UnsafeMutablePointer<T>?, count: Int)
    -> [T]
  {
    guard let pointer, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: pointer, count: count))
  }

  /// A repeated `bool` field.
  @inlinable
  public func swiftBools(_ pointer: UnsafeMutablePointer<Int32>?, count: Int) -> [Bool] {
    guard let pointer, count > 0 else { return [] }
    return (0..<count).map { pointer[$0] != 0 }
  }

  /// A repeated enum field.
  @inlinable
  public func swiftEnums<E: ProtobufEnum>(_ pointer: UnsafeMutablePointer<Int32>?, count: Int)
    -> [E]
  {
    guard let pointer, count > 0 else { return [] }
    return (0..<count).map { E(protoValue: pointer[$0]) }
  }

  /// A nested message (NULL reads as nil).
  @inlinable
  public func swiftMessage<M: ProtobufMessage>(_ pointer: UnsafeMutablePointer<M.CStruct>?) -> M? {
    guard let pointer else { return nil }
    return M(cStruct: pointer, in: self)
  }

  /// Reads a nested message into `field` in place (NULL leaves it nil); see
  /// `ProtobufMessage.read(cStruct:in:)` for why not through an initializer.
  @inlinable
  public func read<M: ProtobufMessage>(_ pointer: UnsafeMutablePointer<M.CStruct>?, into field: inout M?) {
    guard let pointer else { return }
    field = M()
    field?.read(cStruct: pointer, in: self)
  }

  /// A repeated message field.
  @inlinable
  public func swiftMessages<M: ProtobufMessage>(
    _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<M.CStruct>?>?, count: Int
  ) -> [M] {
    guard let pointer, count > 0 else { return [] }
    var result: [M] = []
    result.reserveCapacity(count)
    for index in 0..<count {
      guard let element = pointer[index] else { continue }
      // Built in place: see `ProtobufMessage.read(cStruct:in:)`.
      result.append(M())
      result[result.count - 1].read(cStruct: element, in: self)
    }
    return result
  }

  /// Stores a string-keyed map entry, refusing keys that differ in bytes but that Swift's
  /// `String` compares equal (canonically equivalent Unicode, such as "é" and "e\u{301}"):
  /// keeping one would silently lose the other entry.
  @inlinable
  public func insert<Value>(
    _ value: Value, forKey key: String, into map: inout [String: Value], field: StaticString
  ) {
    guard map.updateValue(value, forKey: key) != nil, let index = map.index(forKey: key) else {
      return
    }
    if !map.keys[index].utf8.elementsEqual(key.utf8) {
      recordConversionFault(.ambiguousMapKey, field: "\(field)")
    }
  }
}

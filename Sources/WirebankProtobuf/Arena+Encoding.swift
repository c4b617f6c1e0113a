import CProtobufC
import FoundationEssentials

#if canImport(Glibc)
  import Glibc
#endif

/// Builders generated code uses to write Swift values into protobuf-c structs.
///
/// Each adds to `bound` an upper bound of the bytes its field packs to (tag and length prefix
/// included), so the packer needs no separate size pass.
extension Arena {
  /// The largest tag plus the largest length prefix: 5 + 10 bytes.
  public static let fieldOverhead = 15

  /// A fresh C message of `M`, initialised by its descriptor's `message_init`.
  @inlinable
  public func newCStruct<M: ProtobufMessage>(_: M.Type) -> UnsafeMutablePointer<M.CStruct> {
    let descriptor = M.cDescriptor
    let raw = allocate(byteCount: descriptor.pointee.sizeof_message)
    descriptor.pointee.message_init(raw.assumingMemoryBound(to: ProtobufCMessage.self))
    return raw.assumingMemoryBound(to: M.CStruct.self)
  }

  /// Converts a nested message.
  @inlinable
  public func cMessage<M: ProtobufMessage>(
    _ message: M, bound: inout Int
  ) throws(ProtobufEncodingError) -> UnsafeMutablePointer<M.CStruct> {
    let target = newCStruct(M.self)
    bound += try message.writeCStruct(target, in: self) + Arena.fieldOverhead
    return target
  }

  /// Converts a repeated message field (or a map's entries) to protobuf-c's array of pointers.
  @inlinable
  public func cMessages<M: ProtobufMessage>(
    _ messages: [M], bound: inout Int
  ) throws(ProtobufEncodingError) -> UnsafeMutablePointer<UnsafeMutablePointer<M.CStruct>?>? {
    if messages.isEmpty { return nil }
    let array = allocate(byteCount: messages.count * MemoryLayout<UnsafeRawPointer>.stride)
      .assumingMemoryBound(to: UnsafeMutablePointer<M.CStruct>?.self)
    for (index, message) in messages.enumerated() {
      array[index] = try cMessage(message, bound: &bound)
    }
    return array
  }

  /// Copies a string with a NUL terminator.
  /// - Throws: `.nulInString` when `string` holds U+0000 (protobuf-c would truncate it).
  @inlinable
  public func cString(
    _ string: String, bound: inout Int, field: StaticString
  ) throws(ProtobufEncodingError) -> UnsafeMutablePointer<CChar> {
    let copied =
      string.utf8.withContiguousStorageIfAvailable { copyCString($0) }
      ?? { () -> UnsafeMutablePointer<CChar>? in
        var native = string
        native.makeContiguousUTF8()
        return native.utf8.withContiguousStorageIfAvailable { copyCString($0) } ?? nil
      }()
    guard let copied else {
      throw ProtobufEncodingError(code: .nulInString, field: "\(field)")
    }
    bound += string.utf8.count + Arena.fieldOverhead
    return copied
  }

  /// Copies UTF-8 and a terminator in one pass; nil when the bytes hold a NUL.
  @inlinable
  func copyCString(_ utf8: UnsafeBufferPointer<UInt8>) -> UnsafeMutablePointer<CChar>? {
    let count = utf8.count
    let target = allocate(byteCount: count + 1)
    if count > 0, memccpy(target, utf8.baseAddress!, 0, count) != nil { return nil }
    target.storeBytes(of: 0, toByteOffset: count, as: UInt8.self)
    return target.assumingMemoryBound(to: CChar.self)
  }

  /// Converts a repeated string field.
  @inlinable
  public func cStrings(
    _ strings: [String], bound: inout Int, field: StaticString
  ) throws(ProtobufEncodingError) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    if strings.isEmpty { return nil }
    let array = allocate(byteCount: strings.count * MemoryLayout<UnsafeRawPointer>.stride)
      .assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)
    for (index, string) in strings.enumerated() {
      array[index] = try cString(string, bound: &bound, field: field)
    }
    return array
  }

  /// Copies bytes for a `bytes` field; a large payload is packed straight from the `Data`'s
  /// own storage, which the arena keeps alive (and unmutated: it holds a copy) until reset.
  @inlinable
  public func cBytes(_ data: Data, bound: inout Int) -> ProtobufCBinaryData {
    let count = data.count
    bound += count + Arena.fieldOverhead
    if count == 0 { return ProtobufCBinaryData(len: 0, data: nil) }
    if count >= Arena.largeAllocationThreshold, let storage = borrowStorage(of: data) {
      return ProtobufCBinaryData(len: count, data: storage)
    }
    let target = allocate(byteCount: count).assumingMemoryBound(to: UInt8.self)
    data.copyBytes(to: target, count: count)
    return ProtobufCBinaryData(len: count, data: target)
  }

  /// The address of a large `Data`'s heap storage, kept alive until reset.
  @usableFromInline
  func borrowStorage(of data: Data) -> UnsafeMutablePointer<UInt8>? {
    // A `Data` this large keeps its bytes in a heap object that does not move while a copy of
    // the `Data` (held by the box below) is alive and no one mutates that copy.
    let box = DataBox(data)
    keepAlive(box)
    return box.data.withUnsafeBytes { buffer in
      buffer.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) }
    }
  }

  /// Converts a repeated `bytes` field.
  @inlinable
  public func cBytesArray(_ values: [Data], bound: inout Int) -> UnsafeMutablePointer<
    ProtobufCBinaryData
  >? {
    if values.isEmpty { return nil }
    let array = allocate(byteCount: values.count * MemoryLayout<ProtobufCBinaryData>.stride)
      .assumingMemoryBound(to: ProtobufCBinaryData.self)
    for (index, value) in values.enumerated() { array[index] = cBytes(value, bound: &bound) }
    return array
  }

  /// Copies a repeated scalar field whose Swift and C layouts agree (integers, floats).
  /// - Parameter width: the largest encoded size of one element: 10 for a packed varint, and
  ///   the tag's 5 bytes more when the field is not packed.
  @inlinable
  public func cScalars<T: BitwiseCopyable>(
    _ values: [T], width: Int, bound: inout Int
  ) -> UnsafeMutablePointer<T>? {
    if values.isEmpty { return nil }
    bound += values.count * width + Arena.fieldOverhead * 2
    let target = allocate(byteCount: values.count * MemoryLayout<T>.stride)
      .assumingMemoryBound(to: T.self)
    values.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: $0.count) }
    return target
  }

  /// Converts a repeated `bool` field to protobuf-c's `int`-sized booleans.
  @inlinable
  public func cBools(_ values: [Bool], width: Int, bound: inout Int) -> UnsafeMutablePointer<
    Int32
  >? {
    if values.isEmpty { return nil }
    bound += values.count * width + Arena.fieldOverhead * 2
    let target = allocate(byteCount: values.count * 4).assumingMemoryBound(to: Int32.self)
    for (index, value) in values.enumerated() { target[index] = value ? 1 : 0 }
    return target
  }

  /// Converts a repeated enum field to its raw values.
  @inlinable
  public func cEnums<E: ProtobufEnum>(_ values: [E], width: Int, bound: inout Int)
    -> UnsafeMutablePointer<Int32>?
  {
    if values.isEmpty { return nil }
    bound += values.count * width + Arena.fieldOverhead * 2
    let target = allocate(byteCount: values.count * 4).assumingMemoryBound(to: Int32.self)
    for (index, value) in values.enumerated() { target[index] = value.rawValue }
    return target
  }
}

extension Arena {
  /// A fresh C struct of a type that has no Swift message (a map entry).
  @inlinable
  public func newCStruct<T>(
    _: T.Type, descriptor: UnsafePointer<ProtobufCMessageDescriptor>
  ) -> UnsafeMutablePointer<T> {
    let raw = allocate(byteCount: descriptor.pointee.sizeof_message)
    descriptor.pointee.message_init(raw.assumingMemoryBound(to: ProtobufCMessage.self))
    return raw.assumingMemoryBound(to: T.self)
  }

  /// An array of `count` pointers to C structs (a repeated message or map field).
  @inlinable
  public func cPointerArray<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<
    UnsafeMutablePointer<T>?
  > {
    allocate(byteCount: count * MemoryLayout<UnsafeRawPointer>.stride)
      .assumingMemoryBound(to: UnsafeMutablePointer<T>?.self)
  }
}

/// Holds a `Data` so that its storage outlives the C struct that points into it.
@usableFromInline
final class DataBox {
  let data: Data
  init(_ data: Data) { self.data = data }
}

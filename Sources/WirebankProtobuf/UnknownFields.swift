import CProtobufC

/// Fields a message carried on the wire that its contract does not declare, kept as their
/// encoded bytes (tag and payload) so that decode → encode passes them on unchanged.
public struct UnknownFields: Hashable, Sendable {
  /// The fields' encoded bytes, in the order they were read.
  public var bytes: [UInt8] = []

  /// No unknown fields.
  @inlinable
  public init() {}

  /// Reads protobuf-c's unknown fields of `message`.
  @inlinable
  public init(_ message: ProtobufCMessage) {
    self.init()
    if message.n_unknown_fields > 0 { self = UnknownFields(copying: message) }
  }

  @usableFromInline
  init(copying message: ProtobufCMessage) {
    for index in 0..<Int(message.n_unknown_fields) {
      let field = message.unknown_fields[index]
      Varint.append(UInt64(field.tag) << 3 | UInt64(field.wire_type.rawValue), to: &bytes)
      if field.len > 0 {
        bytes.append(contentsOf: UnsafeBufferPointer(start: field.data, count: field.len))
      }
    }
  }

  /// Writes the fields into `message`'s unknown-field list, allocating in `arena`.
  /// - Returns: the bytes they pack to.
  @inlinable
  public func write(to message: inout ProtobufCMessage, in arena: Arena) -> Int {
    if bytes.isEmpty { return 0 }
    return writeSlow(to: &message, in: arena)
  }

  @usableFromInline
  func writeSlow(to message: inout ProtobufCMessage, in arena: Arena) -> Int {
    var fields: [ProtobufCMessageUnknownField] = []
    bytes.withUnsafeBufferPointer { buffer in
      var index = 0
      while index < buffer.count {
        guard let tag = Varint.read(buffer, &index) else { return }
        let start = index
        switch tag & 7 {
        case 0: _ = Varint.read(buffer, &index)
        case 1: index += 8
        case 5: index += 4
        case 2:
          guard let length = Varint.read(buffer, &index) else { return }
          index += Int(length)
        default: return
        }
        guard index <= buffer.count else { return }
        let copy = arena.allocate(byteCount: index - start).assumingMemoryBound(to: UInt8.self)
        copy.update(from: buffer.baseAddress! + start, count: index - start)
        fields.append(
          ProtobufCMessageUnknownField(
            tag: UInt32(truncatingIfNeeded: tag >> 3),
            wire_type: ProtobufCWireType(rawValue: UInt32(tag & 7)), len: index - start,
            data: copy))
      }
    }
    let array = arena.allocate(
      byteCount: fields.count * MemoryLayout<ProtobufCMessageUnknownField>.stride
    ).assumingMemoryBound(to: ProtobufCMessageUnknownField.self)
    array.initialize(from: fields, count: fields.count)
    message.n_unknown_fields = UInt32(fields.count)
    message.unknown_fields = array
    return bytes.count
  }
}

/// Base-128 varints, for the few places the runtime reads or writes wire bytes itself.
@usableFromInline
enum Varint {
  @usableFromInline
  static func append(_ value: UInt64, to bytes: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }

  static func read(_ buffer: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> UInt64? {
    guard let base = buffer.baseAddress else { return nil }
    return read(base, &index, end: buffer.count)
  }

  /// Reads a varint at `index` (advancing it) from bytes that end at `end`; nil when it is
  /// truncated or longer than 10 bytes. For input already validated, or error reporting: the
  /// validator's own reader says which of the two faults it is.
  static func read(_ bytes: UnsafePointer<UInt8>, _ index: inout Int, end: Int) -> UInt64? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while index < end, shift < 70 {
      let byte = bytes[index]
      index += 1
      result |= UInt64(byte & 0x7f) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
    }
    return nil
  }
}

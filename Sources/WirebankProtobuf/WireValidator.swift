import CProtobufC

/// One linear walk over encoded bytes, driven by protobuf-c's descriptor tables, that finds every
/// fault protobuf-c would crash on, silently accept, or reject without a reason: nesting depth,
/// groups, bad wire types, truncation, invalid UTF-8 and U+0000 in strings.
///
/// Input that passes is safe to hand to `protobuf_c_message_unpack`, and its strings need no
/// second UTF-8 check. The walk keeps no path on the happy path: when it finds a fault,
/// `FieldLocator` walks again to name the fields leading to the fault's offset.
@usableFromInline
struct WireValidator {
  let bytes: UnsafePointer<UInt8>
  let maximumDepth: Int

  /// A fault and its offset (trivially copyable, so throwing it costs nothing until thrown).
  struct Fault: Error {
    var code: ProtobufDecodingError.Code
    var offset: Int
  }

  /// Checks `buffer` against `descriptor` within `options`.
  /// - Returns: true when a singular message field occurs more than once somewhere, so the
  ///   input must go through `WireMerger` first (protobuf-c's own merge loses scalars).
  @usableFromInline
  static func validate(
    _ buffer: UnsafeRawBufferPointer, as descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
    options: DecodingOptions
  ) throws(ProtobufDecodingError) -> Bool {
    var name: String { String(cString: descriptor.pointee.name) }
    guard buffer.count <= options.maximumMessageSize else {
      throw ProtobufDecodingError(
        code: .tooLarge, offset: options.maximumMessageSize, fieldPath: "", messageName: name)
    }
    guard let base = buffer.baseAddress, buffer.count > 0 else { return false }
    let bytes = base.assumingMemoryBound(to: UInt8.self)
    let validator = WireValidator(bytes: bytes, maximumDepth: options.maximumDepth)
    var needsMerge = false
    do {
      try validator.validateMessage(
        descriptor, from: 0, to: buffer.count, depth: 0, needsMerge: &needsMerge)
      return needsMerge
    } catch {
      let path = FieldLocator(bytes: bytes).path(to: error.offset, in: descriptor, end: buffer.count)
      throw ProtobufDecodingError(
        code: error.code, offset: error.offset, fieldPath: path.joined(separator: "."),
        messageName: name)
    }
  }

  func validateMessage(
    _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, from start: Int, to end: Int,
    depth: Int, needsMerge: inout Bool
  ) throws(Fault) {
    var index = start
    var seenMessageFields: UInt64 = 0
    while index < end {
      let tagOffset = index
      let tag = try readVarint(&index, end)
      let number = tag >> 3
      guard number >= 1, number <= 536_870_911 else {
        throw Fault(code: .invalidFieldNumber, offset: tagOffset)
      }
      let wireType = UInt8(truncatingIfNeeded: tag & 7)
      guard let field = descriptor.field(numbered: number) else {
        try skipUnknown(wireType: wireType, at: &index, end: end, tagOffset: tagOffset)
        continue
      }
      let type = field.pointee.type
      switch wireType {
      case 0:
        guard type.isVarint else { throw Fault(code: .invalidWireType, offset: tagOffset) }
        _ = try readVarint(&index, end)
      case 1, 5:
        let width = wireType == 1 ? 8 : 4
        guard type.fixedWidth == width else {
          throw Fault(code: .invalidWireType, offset: tagOffset)
        }
        guard end - index >= width else { throw Fault(code: .truncated, offset: end) }
        index += width
      case 2:
        let length = try readVarint(&index, end)
        guard length <= UInt64(end - index) else { throw Fault(code: .truncated, offset: end) }
        let payloadEnd = index + Int(length)
        switch type {
        case PROTOBUF_C_TYPE_STRING:
          if !UTF8Validation.isPlainASCII(bytes + index, count: payloadEnd - index) {
            try UTF8Validation.check(bytes + index, count: payloadEnd - index, baseOffset: index)
          }
        case PROTOBUF_C_TYPE_BYTES:
          break
        case PROTOBUF_C_TYPE_MESSAGE:
          guard depth < maximumDepth else { throw Fault(code: .tooDeep, offset: index) }
          if field.pointee.label != PROTOBUF_C_LABEL_REPEATED {
            // Indices past 63 share the last bit: a false "duplicate" only costs a merge pass.
            let bit = UInt64(1) << UInt64(min(field - descriptor.pointee.fields, 63))
            if seenMessageFields & bit != 0 { needsMerge = true }
            seenMessageFields |= bit
          }
          let nested = field.pointee.descriptor.assumingMemoryBound(
            to: ProtobufCMessageDescriptor.self)
          try validateMessage(
            nested, from: index, to: payloadEnd, depth: depth + 1, needsMerge: &needsMerge)
        default:
          guard field.pointee.label == PROTOBUF_C_LABEL_REPEATED else {
            throw Fault(code: .invalidWireType, offset: tagOffset)
          }
          try validatePacked(type, from: index, to: payloadEnd)
        }
        index = payloadEnd
      case 3, 4:
        throw Fault(code: .groupNotSupported, offset: tagOffset)
      default:
        throw Fault(code: .invalidWireType, offset: tagOffset)
      }
    }
  }

  /// Skips a field this contract does not declare (kept by protobuf-c as an unknown field).
  private func skipUnknown(
    wireType: UInt8, at index: inout Int, end: Int, tagOffset: Int
  ) throws(Fault) {
    switch wireType {
    case 0:
      _ = try readVarint(&index, end)
    case 1, 5:
      let width = wireType == 1 ? 8 : 4
      guard end - index >= width else { throw Fault(code: .truncated, offset: end) }
      index += width
    case 2:
      let length = try readVarint(&index, end)
      guard length <= UInt64(end - index) else { throw Fault(code: .truncated, offset: end) }
      index += Int(length)
    case 3, 4:
      throw Fault(code: .groupNotSupported, offset: tagOffset)
    default:
      throw Fault(code: .invalidWireType, offset: tagOffset)
    }
  }

  private func validatePacked(_ type: ProtobufCType, from start: Int, to end: Int) throws(Fault) {
    if let width = type.fixedWidth {
      guard (end - start) % width == 0 else {
        throw Fault(code: .malformedPackedField, offset: start)
      }
      return
    }
    var index = start
    while index < end { _ = try readVarint(&index, end) }
  }

  @inline(__always)
  func readVarint(_ index: inout Int, _ end: Int) throws(Fault) -> UInt64 {
    if index < end, bytes[index] < 0x80 {
      index += 1
      return UInt64(bytes[index - 1])
    }
    var result: UInt64 = 0
    var shift: UInt64 = 0
    let start = index
    while true {
      guard index < end else { throw Fault(code: .truncated, offset: end) }
      let byte = bytes[index]
      index += 1
      result |= UInt64(byte & 0x7f) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
      guard shift < 70 else { throw Fault(code: .malformedVarint, offset: start) }
    }
  }
}

/// Names the fields from the outermost message down to a byte offset, for error messages only.
struct FieldLocator {
  let bytes: UnsafePointer<UInt8>

  func path(
    to offset: Int, in descriptor: UnsafePointer<ProtobufCMessageDescriptor>, end: Int
  ) -> [String] {
    var path: [String] = []
    var descriptor = descriptor
    var index = 0
    var end = end
    scan: while index < end {
      let tagStart = index
      guard let tag = Varint.read(bytes, &index, end: end) else { break }
      let field = protobuf_c_message_descriptor_get_field(descriptor, UInt32(truncatingIfNeeded: tag >> 3))
      let fieldEnd: Int
      var payloadStart = index
      switch tag & 7 {
      case 0: _ = Varint.read(bytes, &index, end: end); fieldEnd = index
      case 1: fieldEnd = index + 8
      case 5: fieldEnd = index + 4
      case 2:
        guard let length = Varint.read(bytes, &index, end: end) else { break scan }
        payloadStart = index
        fieldEnd = length <= UInt64(end - index) ? index + Int(length) : end
      default: fieldEnd = index
      }
      if offset >= tagStart && (offset < fieldEnd || fieldEnd >= end) {
        guard let field else { break }
        path.append(String(cString: field.pointee.name))
        if tag & 7 == 2, field.pointee.type == PROTOBUF_C_TYPE_MESSAGE, offset >= payloadStart {
          descriptor = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
          index = payloadStart
          end = fieldEnd
          continue
        }
        break
      }
      index = fieldEnd
    }
    return path
  }
}

extension UnsafePointer<ProtobufCMessageDescriptor> {
  /// The field numbered `number`: direct indexing when the numbers are one run (most
  /// messages), protobuf-c's binary search over its ranges otherwise.
  @inline(__always)
  func field(numbered number: UInt64) -> UnsafePointer<ProtobufCFieldDescriptor>? {
    if pointee.n_field_ranges == 1 {
      let position = Int(number) - Int(pointee.field_ranges[0].start_value)
      guard position >= 0, position < Int(pointee.n_fields) else { return nil }
      return pointee.fields + position
    }
    return protobuf_c_message_descriptor_get_field(self, UInt32(truncatingIfNeeded: number))
  }
}

extension ProtobufCType {
  var isVarint: Bool {
    switch self {
    case PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32, PROTOBUF_C_TYPE_INT64,
      PROTOBUF_C_TYPE_SINT64, PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_UINT64,
      PROTOBUF_C_TYPE_BOOL, PROTOBUF_C_TYPE_ENUM:
      return true
    default:
      return false
    }
  }

  var fixedWidth: Int? {
    switch self {
    case PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_FLOAT: return 4
    case PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_DOUBLE: return 8
    default: return nil
    }
  }
}

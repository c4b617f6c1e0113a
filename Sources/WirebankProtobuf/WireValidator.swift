import CProtobufC

/// One linear walk over encoded bytes, driven by protobuf-c's descriptor tables, that finds every
/// fault protobuf-c would crash on, silently accept, or reject without a reason: nesting depth,
/// groups, bad wire types, truncation, invalid UTF-8 and U+0000 in strings.
///
/// Input that passes is safe to hand to `protobuf_c_message_unpack`, and its strings need no
/// second UTF-8 check.
struct WireValidator {
  let bytes: UnsafePointer<UInt8>
  let maximumDepth: Int

  /// A fault with the field names gathered while the recursion unwinds (innermost first).
  struct Fault: Error {
    var code: ProtobufDecodingError.Code
    var offset: Int
    var reversedPath: [String] = []
  }

  /// Checks `buffer` against `descriptor` within `options`.
  /// - Returns: true when a singular message field occurs more than once somewhere, so the
  ///   input must go through `WireMerger` first (protobuf-c's own merge loses scalars).
  static func validate(
    _ buffer: UnsafeRawBufferPointer, as descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
    options: DecodingOptions
  ) throws(ProtobufDecodingError) -> Bool {
    let name = String(cString: descriptor.pointee.name)
    guard buffer.count <= options.maximumMessageSize else {
      throw ProtobufDecodingError(
        code: .tooLarge, offset: options.maximumMessageSize, fieldPath: "", messageName: name)
    }
    guard let base = buffer.baseAddress, buffer.count > 0 else { return false }
    let validator = WireValidator(
      bytes: base.assumingMemoryBound(to: UInt8.self), maximumDepth: options.maximumDepth)
    var needsMerge = false
    do {
      try validator.validateMessage(
        descriptor, from: 0, to: buffer.count, depth: 0, needsMerge: &needsMerge)
      return needsMerge
    } catch {
      throw ProtobufDecodingError(
        code: error.code, offset: error.offset,
        fieldPath: error.reversedPath.reversed().joined(separator: "."), messageName: name)
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
      let field = protobuf_c_message_descriptor_get_field(descriptor, UInt32(number))
      if let field, field.pointee.type == PROTOBUF_C_TYPE_MESSAGE,
        field.pointee.label != PROTOBUF_C_LABEL_REPEATED
      {
        // Field indices past 63 share the last bit: a false "duplicate" only costs a merge pass.
        let bit = UInt64(1) << UInt64(min(field - descriptor.pointee.fields, 63))
        if seenMessageFields & bit != 0 { needsMerge = true }
        seenMessageFields |= bit
      }
      do {
        try validateField(
          field, wireType: UInt8(tag & 7), at: &index, end: end, depth: depth,
          needsMerge: &needsMerge)
      } catch var fault {
        if let field { fault.reversedPath.append(String(cString: field.pointee.name)) }
        if fault.offset < 0 { fault.offset = tagOffset }
        throw fault
      }
    }
  }

  private func validateField(
    _ field: UnsafePointer<ProtobufCFieldDescriptor>?, wireType: UInt8, at index: inout Int,
    end: Int, depth: Int, needsMerge: inout Bool
  ) throws(Fault) {
    let type = field?.pointee.type
    switch wireType {
    case 0:
      if let type, !type.isVarint { throw Fault(code: .invalidWireType, offset: -1) }
      _ = try readVarint(&index, end)
    case 1, 5:
      let width = wireType == 1 ? 8 : 4
      if let type, type.fixedWidth != width { throw Fault(code: .invalidWireType, offset: -1) }
      guard end - index >= width else { throw Fault(code: .truncated, offset: end) }
      index += width
    case 2:
      let length = try readVarint(&index, end)
      guard length <= UInt64(end - index) else { throw Fault(code: .truncated, offset: end) }
      let payloadEnd = index + Int(length)
      if let field {
        try validatePayload(
          field, from: index, to: payloadEnd, depth: depth, needsMerge: &needsMerge)
      }
      index = payloadEnd
    case 3, 4:
      throw Fault(code: .groupNotSupported, offset: -1)
    default:
      throw Fault(code: .invalidWireType, offset: -1)
    }
  }

  private func validatePayload(
    _ field: UnsafePointer<ProtobufCFieldDescriptor>, from start: Int, to end: Int, depth: Int,
    needsMerge: inout Bool
  ) throws(Fault) {
    let type = field.pointee.type
    switch type {
    case PROTOBUF_C_TYPE_STRING:
      try UTF8Validation.check(bytes + start, count: end - start, baseOffset: start)
    case PROTOBUF_C_TYPE_BYTES:
      break
    case PROTOBUF_C_TYPE_MESSAGE:
      guard depth + 1 <= maximumDepth else { throw Fault(code: .tooDeep, offset: start) }
      let nested = field.pointee.descriptor.assumingMemoryBound(
        to: ProtobufCMessageDescriptor.self)
      try validateMessage(nested, from: start, to: end, depth: depth + 1, needsMerge: &needsMerge)
    default:
      guard field.pointee.label == PROTOBUF_C_LABEL_REPEATED else {
        throw Fault(code: .invalidWireType, offset: -1)
      }
      try validatePacked(type, from: start, to: end)
    }
  }

  private func validatePacked(_ type: ProtobufCType, from start: Int, to end: Int) throws(Fault) {
    if let width = type.fixedWidth {
      guard (end - start) % width == 0 else { throw Fault(code: .malformedPackedField, offset: start) }
      return
    }
    var index = start
    while index < end { _ = try readVarint(&index, end) }
  }

  @inline(__always)
  func readVarint(_ index: inout Int, _ end: Int) throws(Fault) -> UInt64 {
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

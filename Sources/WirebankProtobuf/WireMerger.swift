import CProtobufC

/// Rewrites validated input so that every singular message field occurs once, as Protobuf's
/// merge semantics define: later occurrences merge into earlier ones (scalars: last wins;
/// repeated: appended; messages: merged recursively), and setting another member of a oneof
/// discards what came before.
///
/// protobuf-c merges repeated occurrences itself but drops proto3 scalars of the earlier one
/// and keeps only the last occurrence of a oneof's message member. Concatenating the payloads
/// of the occurrences is, by the wire format's definition, the merged message; that is what
/// this rewrite does, recursively. It runs only when the validator saw such a repetition.
@usableFromInline
enum WireMerger {
  private struct Occurrence {
    var field: UnsafePointer<ProtobufCFieldDescriptor>?
    var whole: Range<Int>
    var payload: Range<Int>
  }

  /// The input, rewritten; `bytes` must already have passed `WireValidator`.
  @usableFromInline
  static func merge(
    _ bytes: UnsafeBufferPointer<UInt8>, as descriptor: UnsafePointer<ProtobufCMessageDescriptor>
  ) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count)
    rewrite([bytes[...]], as: descriptor, into: &output)
    return output
  }

  /// Writes the merge of the concatenation of `parts` (each a run of whole fields).
  private static func rewrite(
    _ parts: [Slice<UnsafeBufferPointer<UInt8>>],
    as descriptor: UnsafePointer<ProtobufCMessageDescriptor>, into output: inout [UInt8]
  ) {
    var occurrences: [(part: Int, occurrence: Occurrence)] = []
    for (partIndex, part) in parts.enumerated() {
      for occurrence in scan(part, descriptor) { occurrences.append((partIndex, occurrence)) }
    }
    // For each singular message field: the payloads to merge, and where it is emitted.
    var pending: [Int: [Slice<UnsafeBufferPointer<UInt8>>]] = [:]
    var lastPosition: [Int: Int] = [:]
    for (position, entry) in occurrences.enumerated() {
      guard let field = entry.occurrence.field else { continue }
      let fieldIndex = field - descriptor.pointee.fields
      if field.pointee.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0 {
        // Another member of the same oneof discards this one's earlier payloads.
        for other in pending.keys where other != fieldIndex {
          let otherField = descriptor.pointee.fields + other
          if otherField.pointee.flags & UInt32(PROTOBUF_C_FIELD_FLAG_ONEOF.rawValue) != 0,
            otherField.pointee.quantifier_offset == field.pointee.quantifier_offset
          {
            pending[other] = []
          }
        }
      }
      if isSingularMessage(field) {
        pending[fieldIndex, default: []].append(parts[entry.part][entry.occurrence.payload])
        lastPosition[fieldIndex] = position
      }
    }
    for (position, entry) in occurrences.enumerated() {
      let part = parts[entry.part]
      guard let field = entry.occurrence.field, field.pointee.type == PROTOBUF_C_TYPE_MESSAGE
      else {
        output.append(contentsOf: part[entry.occurrence.whole])
        continue
      }
      let nested = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
      let payloads: [Slice<UnsafeBufferPointer<UInt8>>]
      if isSingularMessage(field) {
        let fieldIndex = field - descriptor.pointee.fields
        guard lastPosition[fieldIndex] == position else { continue }
        let merged = pending[fieldIndex] ?? []
        payloads = merged.isEmpty ? [part[entry.occurrence.payload]] : merged
      } else {
        payloads = [part[entry.occurrence.payload]]
      }
      var inner: [UInt8] = []
      rewrite(payloads, as: nested, into: &inner)
      Varint.append(UInt64(field.pointee.id) << 3 | 2, to: &output)
      Varint.append(UInt64(inner.count), to: &output)
      output += inner
    }
  }

  private static func isSingularMessage(_ field: UnsafePointer<ProtobufCFieldDescriptor>) -> Bool {
    field.pointee.type == PROTOBUF_C_TYPE_MESSAGE && field.pointee.label != PROTOBUF_C_LABEL_REPEATED
  }

  /// The fields of one run of validated bytes.
  private static func scan(
    _ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>
  ) -> [Occurrence] {
    var result: [Occurrence] = []
    var index = bytes.startIndex
    // The bytes passed the validator, so every varint is complete.
    guard let base = bytes.base.baseAddress else { return [] }
    func varint() -> UInt64 { Varint.read(base, &index, end: bytes.endIndex) ?? 0 }
    while index < bytes.endIndex {
      let start = index
      let tag = varint()
      var payloadStart = index
      switch tag & 7 {
      case 0: _ = varint()
      case 1: index += 8
      case 5: index += 4
      default:
        let length = Int(varint())
        payloadStart = index
        index += length
      }
      let field = protobuf_c_message_descriptor_get_field(descriptor, UInt32(tag >> 3))
      let isMessage = field?.pointee.type == PROTOBUF_C_TYPE_MESSAGE && tag & 7 == 2
      result.append(
        Occurrence(
          field: field, whole: start..<index, payload: isMessage ? payloadStart..<index : index..<index))
    }
    return result
  }
}

import CProtobufC
import WirebankProtobuf

#if canImport(Glibc)
  import Glibc
#endif

/// A real `ProtobufMessage` for tests that must not depend on generated contracts.
///
/// Its protobuf-c descriptor declares no fields, so every field travels as an unknown field;
/// `text` (field 1, a string) is written and read by hand. Encoding and decoding still go
/// through protobuf-c and the runtime's validator, as for generated messages.
struct TestMessage: ProtobufMessage {
  typealias CStruct = ProtobufCMessage

  static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { testMessageDescriptor }
  static var protoMessageName: String { "wirebank.test.TestMessage" }

  var unknownFields = UnknownFields()

  init() {}

  /// A message whose field 1 holds `text`.
  init(_ text: String) {
    var bytes: [UInt8] = [0x0A]
    var length = text.utf8.count
    while length >= 0x80 {
      bytes.append(UInt8(length & 0x7F) | 0x80)
      length >>= 7
    }
    bytes.append(UInt8(length))
    bytes.append(contentsOf: text.utf8)
    unknownFields.bytes = bytes
  }

  /// Field 1, or "" when the message does not start with it.
  var text: String {
    let bytes = unknownFields.bytes
    guard bytes.first == 0x0A else { return "" }
    var index = 1
    var length = 0
    var shift = 0
    while index < bytes.count {
      let byte = bytes[index]
      index += 1
      length |= Int(byte & 0x7F) << shift
      shift += 7
      if byte < 0x80 { break }
    }
    guard index + length <= bytes.count else { return "" }
    return String(decoding: bytes[index..<index + length], as: UTF8.self)
  }

  func writeCStruct(_ target: UnsafeMutablePointer<ProtobufCMessage>, in arena: Arena)
    throws(ProtobufEncodingError) -> Int
  {
    unknownFields.write(to: &target.pointee, in: arena)
  }

  mutating func read(cStruct: UnsafePointer<ProtobufCMessage>, in arena: Arena) {
    unknownFields = UnknownFields(cStruct.pointee)
  }

  func writeText(to writer: inout TextWriter) {
    writer.unknownFields(unknownFields)
  }
}

/// The descriptor of `TestMessage`: no fields, one sentinel field range.
nonisolated(unsafe) private let testMessageDescriptor: UnsafePointer<ProtobufCMessageDescriptor> = {
  let ranges = UnsafeMutablePointer<ProtobufCIntRange>.allocate(capacity: 1)
  ranges.initialize(to: ProtobufCIntRange(start_value: 0, orig_index: 0))
  let descriptor = UnsafeMutablePointer<ProtobufCMessageDescriptor>.allocate(capacity: 1)
  descriptor.initialize(
    to: ProtobufCMessageDescriptor(
      magic: 0x28AA_EEF9, name: strdup("wirebank.test.TestMessage"),
      short_name: strdup("TestMessage"), c_name: strdup("Wirebank__Test__TestMessage"),
      package_name: strdup("wirebank.test"), sizeof_message: MemoryLayout<ProtobufCMessage>.size,
      n_fields: 0, fields: nil, fields_sorted_by_name: nil, n_field_ranges: 0,
      field_ranges: ranges,
      message_init: { message in
        message?.pointee = ProtobufCMessage(
          descriptor: testMessageDescriptor, n_unknown_fields: 0, unknown_fields: nil)
      },
      reserved1: nil, reserved2: nil, reserved3: nil))
  return UnsafePointer(descriptor)
}()

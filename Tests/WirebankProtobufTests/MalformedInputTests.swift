import Testing
import PluginProtos
import WirebankContracts
import WirebankProtobuf

/// Every kind of bad input gets a precise error and never reaches protobuf-c unchecked.
@Suite struct MalformedInputTests {
  static func decodeError(_ bytes: [UInt8], options: DecodingOptions = .default) -> ProtobufDecodingError? {
    do {
      _ = try OriginationApplication(serializedBytes: bytes, options: options)
      return nil
    } catch {
      return error
    }
  }

  @Test(arguments: [
    ([0x0a, 0x05, 0x61], ProtobufDecodingError.Code.truncated),  // length past end
    ([0x20], .truncated),  // varint missing
    ([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], .malformedVarint),
    ([0x0e], .invalidWireType),  // wire type 6
    ([0x0f], .invalidWireType),  // wire type 7
    ([0x0b, 0x0c], .groupNotSupported),  // field 1 start group / end group
    ([0x84, 0x06], .groupNotSupported),  // unknown field 96, end group
    ([0x21, 1, 2, 3, 4, 5, 6, 7, 8], .invalidWireType),  // enum field sent as fixed64
    ([0x00, 0x01], .invalidFieldNumber),  // field number 0
    ([0x0a, 0x02, 0xc3, 0x28], .invalidUTF8),  // bad continuation byte
    ([0x0a, 0x02, 0xc0, 0x80], .invalidUTF8),  // overlong NUL
    ([0x0a, 0x03, 0xed, 0xa0, 0x80], .invalidUTF8),  // surrogate half
    ([0x0a, 0x04, 0xf4, 0x90, 0x80, 0x80], .invalidUTF8),  // above U+10FFFF
    ([0x0a, 0x03, 0x61, 0x00, 0x62], .nulInString),
  ] as [([UInt8], ProtobufDecodingError.Code)])
  func rejected(bytes: [UInt8], code: ProtobufDecodingError.Code) {
    let error = Self.decodeError(bytes)
    #expect(error?.code == code, "\(error.map { "\($0)" } ?? "accepted")")
  }

  /// The validator checks strings a machine word at a time with overlapping loads: a bad byte
  /// at any position of a string of any length up to three words is still found, at its offset.
  @Test(arguments: [(UInt8(0x00), ProtobufDecodingError.Code.nulInString), (0x80, .invalidUTF8), (0xff, .invalidUTF8)])
  func badByteAnywhereInAStringIsFound(bad: UInt8, code: ProtobufDecodingError.Code) {
    for length in 1...24 {
      for position in 0..<length {
        var text = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        text[position] = bad
        let error = Self.decodeError([0x0a, UInt8(length)] + text)
        #expect(error?.code == code, "length \(length), position \(position)")
        #expect(error?.offset == 2 + position, "length \(length), position \(position)")
      }
      let plain = [UInt8](repeating: UInt8(ascii: "a"), count: length)
      #expect(Self.decodeError([0x0a, UInt8(length)] + plain) == nil, "length \(length)")
    }
  }

  @Test func faultInNestedFieldNamesItsPath() {
    // applicant (2) { first_name (2): invalid UTF-8 }
    let error = Self.decodeError([0x12, 0x04, 0x12, 0x02, 0xff, 0xfe])
    #expect(error?.code == .invalidUTF8)
    #expect(error?.fieldPath == "applicant.first_name")
    #expect(error?.offset == 4)
    #expect(
      error?.description
        == "cannot decode wirebank.lending.origination.v1.Application: invalid UTF-8 at byte 4 in field applicant.first_name"
    )
  }

  @Test func hundredThousandLevelsOfNestingAreRefusedNotCrashed() {
    // DescriptorProto.nested_type (field 3) is a DescriptorProto: a real recursive message,
    // which protobuf-c alone would follow until the stack overflows (~200k levels).
    let depth = 100_000
    var lengths: [Int] = []
    var length = 0
    for _ in 0..<depth {
      lengths.append(length)
      length += 1 + varintSize(length)
    }
    var bytes: [UInt8] = []
    for level in (0..<depth).reversed() {
      bytes.append(0x1a)
      appendVarint(lengths[level], to: &bytes)
    }
    do {
      _ = try DescriptorProto(serializedBytes: bytes)
      Issue.record("100,000 levels accepted")
    } catch {
      #expect(error.code == .tooDeep)
      #expect(error.offset < 1000)  // found within the first ~101 headers
    }
  }

  @Test func depthLimitIsExact() throws {
    // Application.applicant(2).identity_document(1): depth 2.
    let bytes: [UInt8] = [0x12, 0x02, 0x0a, 0x00]
    _ = try OriginationApplication(serializedBytes: bytes)
    let shallow = DecodingOptions(maximumMessageSize: 1024, maximumDepth: 1)
    #expect(Self.decodeError(bytes, options: shallow)?.code == .tooDeep)
  }

  @Test func oversizedInputIsRefused() {
    let options = DecodingOptions(maximumMessageSize: 4, maximumDepth: 10)
    #expect(Self.decodeError([0x0a, 0x03, 0x61, 0x62, 0x63], options: options)?.code == .tooLarge)
  }

  func varintSize(_ value: Int) -> Int {
    var size = 1
    var rest = value >> 7
    while rest > 0 { size += 1; rest >>= 7 }
    return size
  }

  func appendVarint(_ value: Int, to bytes: inout [UInt8]) {
    var rest = value
    while rest >= 0x80 {
      bytes.append(UInt8(rest & 0x7f) | 0x80)
      rest >>= 7
    }
    bytes.append(UInt8(rest))
  }
}

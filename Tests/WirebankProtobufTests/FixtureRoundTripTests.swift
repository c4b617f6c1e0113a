import FixtureContracts
import FoundationEssentials
import Testing
import WirebankProtobuf

#if canImport(Glibc)
  import Glibc
#endif

/// Every scalar type at its extremes, every cardinality, checked against `protoc` itself.
@Suite struct FixtureRoundTripTests {
  static func extremes() -> Fixture_V1_Everything {
    var value = Fixture_V1_Everything()
    value.fInt32 = Int32.min
    value.fInt64 = Int64.min
    value.fUint32 = UInt32.max
    value.fUint64 = UInt64.max
    value.fSint32 = Int32.min
    value.fSint64 = Int64.max
    value.fFixed32 = UInt32.max
    value.fFixed64 = UInt64.max
    value.fSfixed32 = Int32.min
    value.fSfixed64 = Int64.min
    value.fFloat = -Float.greatestFiniteMagnitude
    value.fDouble = Double.leastNonzeroMagnitude
    value.fBool = true
    value.fString = "zero-width\u{200B} 𝄞 é"
    value.fBytes = Data([0, 1, 0xff, 0x80])
    value.fColor = .negative
    value.fLeaf = Fixture_V1_Leaf()
    value.oInt32 = 0
    value.oString = ""
    value.oBytes = Data()
    value.oColor = .unspecified
    value.oBool = false
    value.oDouble = -0.0
    value.rInt32 = [-1, 0, Int32.max]
    value.rSint64 = [Int64.min, -1, 1]
    value.rFixed32 = [0, UInt32.max]
    value.rDouble = [.infinity, -.infinity, 1e-300]
    value.rBool = [true, false, true]
    value.rString = ["", "a", "ß"]
    value.rBytes = [Data(), Data([0])]
    value.rColor = [.red, .unrecognized(77), .negative]
    var leaf = Fixture_V1_Leaf()
    leaf.id = 7
    leaf.label = "seven"
    value.rLeaf = [leaf, Fixture_V1_Leaf()]
    value.rUnpacked = [1, UInt64.max]
    value.mString = ["": "", "k": "v"]
    value.mLeaf = [-5: leaf, 0: Fixture_V1_Leaf()]
    value.mBool = [true: .blue, false: .red]
    value.mBytes = [UInt64.max: Data([1, 2]), 0: Data()]
    value.mDouble = [Int32.min: .greatestFiniteMagnitude]
    value.choice = .cColor(.blue)
    value.second = .sBool(false)
    var nested = Fixture_V1_Everything.Nested()
    nested.level = .deep
    var child = Fixture_V1_Everything.Nested()
    child.otherLevel = .unrecognized(-3)
    nested.children = [child, Fixture_V1_Everything.Nested()]
    value.nested = nested
    value.default = "keyword"
    value.class = 3
    value.unknownFields_p = "not the unknown fields"
    value.self_p = true
    value.high = 1
    return value
  }

  @Test func extremesRoundTrip() throws {
    let original = Self.extremes()
    let decoded = try Fixture_V1_Everything(serializedBytes: original.serializedBytes())
    #expect(decoded == original)
    #expect(decoded.oDouble?.sign == .minus)
  }

  @Test(arguments: [
    Fixture_V1_Everything.Choice.cString(""), .cLeaf(Fixture_V1_Leaf()), .cInt64(0),
    .cColor(.unspecified), .cBytes(Data()),
  ])
  func everyOneofArmIsSentEvenAtItsDefault(arm: Fixture_V1_Everything.Choice) throws {
    var value = Fixture_V1_Everything()
    value.choice = arm
    let bytes = try value.serializedBytes()
    #expect(!bytes.isEmpty)
    #expect(try Fixture_V1_Everything(serializedBytes: bytes).choice == arm)
  }

  @Test func emptyMessageRoundTrips() throws {
    #expect(try Fixture_V1_Empty().serializedBytes() == [])
    #expect(try Fixture_V1_Empty(serializedBytes: [0x08, 0x01]).unknownFields.bytes == [0x08, 0x01])
  }

  static func protoc(_ arguments: String, input: [UInt8]) throws -> [UInt8] {
    var root = #filePath
    for _ in 0..<3 { root = String(root[..<(root.lastIndex(of: "/") ?? root.startIndex)]) }
    // Tests run in parallel: each call gets its own files.
    let unique = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    let inputPath = "/tmp/wirebank-fixture-\(unique)-in"
    let outputPath = "/tmp/wirebank-fixture-\(unique)-out"
    defer {
      unlink(inputPath)
      unlink(outputPath)
    }
    let file = try #require(fopen(inputPath, "wb"))
    _ = input.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
    let command =
      "cd \(root)/Tests/Fixtures/Protos && protoc -I . \(arguments) fixture/v1/fixture.proto"
      + " < \(inputPath) > \(outputPath)"
    try #require(system(command) == 0, "protoc failed: \(command)")
    let output = try #require(fopen(outputPath, "rb"))
    defer { fclose(output) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = fread(&buffer, 1, buffer.count, output)
      if count == 0 { break }
      bytes += buffer[0..<count]
    }
    return bytes
  }

  @Test func protocDecodesWirebankOutput() throws {
    let bytes = try Self.extremes().serializedBytes()
    let text = String(
      decoding: try Self.protoc("--decode=fixture.v1.Everything", input: bytes), as: UTF8.self)
    for expected in [
      "f_int32: -2147483648", "f_int64: -9223372036854775808", "f_uint64: 18446744073709551615",
      "f_sint32: -2147483648", "f_sint64: 9223372036854775807", "f_sfixed64: -9223372036854775808",
      "f_color: COLOR_NEGATIVE", "o_int32: 0", "o_string: \"\"", "o_color: COLOR_UNSPECIFIED",
      "r_color: 77", "c_color: COLOR_BLUE", "s_bool: false", "default: \"keyword\"", "self: true",
      "high: 1", "level: LEVEL_DEEP",
    ] {
      #expect(text.contains(expected), "protoc --decode lacks \(expected):\n\(text)")
    }
  }

  @Test func wirebankDecodesProtocOutput() throws {
    let text = """
      f_int32: -7 f_sint64: -9223372036854775808 f_fixed64: 18446744073709551615
      f_float: 1.5 f_double: -2.25 f_string: "héllo" f_bytes: "\\000\\377"
      o_bool: false r_int32: [1, -2] r_unpacked: [3, 4]
      m_string { key: "a" value: "b" } m_bool { key: true value: COLOR_RED }
      c_leaf { id: 9 } nested { children { level: LEVEL_DEEP } } class: 4
      """
    let bytes = try Self.protoc("--encode=fixture.v1.Everything", input: Array(text.utf8))
    let value = try Fixture_V1_Everything(serializedBytes: bytes)
    #expect(value.fInt32 == -7)
    #expect(value.fSint64 == Int64.min)
    #expect(value.fFixed64 == UInt64.max)
    #expect(value.fFloat == 1.5)
    #expect(value.fDouble == -2.25)
    #expect(value.fString == "héllo")
    #expect(value.fBytes == Data([0, 255]))
    #expect(value.oBool == false)
    #expect(value.rInt32 == [1, -2])
    #expect(value.rUnpacked == [3, 4])
    #expect(value.mString == ["a": "b"])
    #expect(value.mBool == [true: .red])
    var leaf = Fixture_V1_Leaf()
    leaf.id = 9
    #expect(value.choice == .cLeaf(leaf))
    #expect(value.nested?.children.first?.level == .deep)
    #expect(value.class == 4)
    // Re-encoding gives protoc's bytes back (no maps with several entries, so order is fixed).
    #expect(try value.serializedBytes() == bytes)
  }
}

/// The packed-size bound computed while building the C struct never falls short (the runtime
/// asserts it in debug builds, where these tests run).
@Suite struct SizeBoundTests {
  @Test func unpackedRepeatedFieldsCountTheirTags() throws {
    var value = Fixture_V1_Everything()
    value.rUnpacked = Array(repeating: UInt64.max, count: 1000)
    let bytes = try value.serializedBytes()
    #expect(bytes.count == 12_000)
    #expect(try Fixture_V1_Everything(serializedBytes: bytes).rUnpacked == value.rUnpacked)
  }

  @Test func manySmallElementsOfEveryRepeatedKind() throws {
    var value = Fixture_V1_Everything()
    value.rBool = Array(repeating: true, count: 500)
    value.rColor = Array(repeating: .negative, count: 500)
    value.rString = Array(repeating: "", count: 500)
    value.rBytes = Array(repeating: Data(), count: 500)
    value.rLeaf = Array(repeating: Fixture_V1_Leaf(), count: 500)
    value.mBool = [true: .negative, false: .negative]
    value.mLeaf = Dictionary(uniqueKeysWithValues: (0..<500).map { (Int32($0) - 250, Fixture_V1_Leaf()) })
    let decoded = try Fixture_V1_Everything(serializedBytes: value.serializedBytes())
    #expect(decoded == value)
  }
}

/// Where protobuf-c alone departs from the Protobuf spec, Wirebank follows the spec.
@Suite struct SpecConformanceTests {
  @Test func negativeZeroOfImplicitDoubleIsSent() throws {
    var value = Fixture_V1_Everything()
    value.fDouble = -0.0
    value.mDouble = [1: -0.0]
    let bytes = try value.serializedBytes()
    let decoded = try Fixture_V1_Everything(serializedBytes: bytes)
    #expect(decoded.fDouble.sign == .minus)
    #expect(decoded.mDouble[1]?.sign == .minus)
    #expect(try Fixture_V1_Everything(serializedBytes: [0x61, 0, 0, 0, 0, 0, 0, 0, 0]).fDouble == 0)
  }

  @Test func repeatedOccurrencesOfAMessageFieldMerge() throws {
    // f_leaf (17) {id: 5} then f_leaf {label: "x"}: the spec merges them.
    let bytes: [UInt8] = [0x8a, 0x01, 0x02, 0x08, 0x05, 0x8a, 0x01, 0x03, 0x12, 0x01, 0x78]
    let decoded = try Fixture_V1_Everything(serializedBytes: bytes)
    #expect(decoded.fLeaf?.id == 5)
    #expect(decoded.fLeaf?.label == "x")
  }

  @Test func oneofMessageArmSeenTwiceMergesButAnotherArmInBetweenResets() throws {
    let first: [UInt8] = [0xa2, 0x03, 0x02, 0x08, 0x05]  // c_leaf (52) {id: 5}
    let second: [UInt8] = [0xa2, 0x03, 0x03, 0x12, 0x01, 0x78]  // c_leaf {label: "x"}
    let other: [UInt8] = [0xa8, 0x03, 0x01]  // c_int64 (53) = 1
    var merged = Fixture_V1_Leaf()
    merged.id = 5
    merged.label = "x"
    #expect(try Fixture_V1_Everything(serializedBytes: first + second).choice == .cLeaf(merged))
    var onlySecond = Fixture_V1_Leaf()
    onlySecond.label = "x"
    #expect(
      try Fixture_V1_Everything(serializedBytes: first + other + second).choice
        == .cLeaf(onlySecond))
    #expect(try Fixture_V1_Everything(serializedBytes: first + second + other).choice == .cInt64(1))
  }

  @Test func canonicallyEquivalentMapKeysAreRefused() {
    let entry = { (key: [UInt8]) -> [UInt8] in
      [0xca, 0x02, UInt8(key.count + 4), 0x0a, UInt8(key.count)] + key + [0x12, 0x00]
    }
    do {
      _ = try Fixture_V1_Everything(serializedBytes: entry([0xc3, 0xa9]) + entry([0x65, 0xcc, 0x81]))
      Issue.record("two keys that Swift cannot tell apart were accepted")
    } catch {
      #expect(error.code == .ambiguousMapKey)
      #expect(error.fieldPath == "m_string")
    }
  }
}

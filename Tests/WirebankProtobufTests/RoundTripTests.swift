import FoundationEssentials
import Testing
import WirebankContracts
import WirebankProtobuf

/// Encode → decode keeps every kind of field, and the bytes follow proto3's rules.
@Suite struct RoundTripTests {
  static func application() -> OriginationApplication {
    var application = OriginationApplication()
    application.applicationId = "app-0001"
    var applicant = LendingApplicant()
    applicant.firstName = "Анна"
    applicant.lastName = "O'Brien \"Ö\" 🏦"
    var income = CommonMoney()
    income.amountMinor = Int64.max
    income.currency = "RUB"
    applicant.monthlyIncome = income
    application.applicant = applicant
    application.status = .scoring
    application.metadata = ["channel": "mobile", "": "empty key", "partner": ""]
    return application
  }

  @Test func nestedMessagesMapsEnumsAndUnicodeSurvive() throws {
    let original = Self.application()
    let decoded = try OriginationApplication(serializedBytes: original.serializedBytes())
    #expect(decoded == original)
  }

  @Test func defaultMessageEncodesToNoBytes() throws {
    #expect(try OriginationApplication().serializedBytes().isEmpty)
    #expect(try OriginationApplication(serializedBytes: []) == OriginationApplication())
  }

  @Test func optionalFieldSetToItsDefaultIsSentAndKept() throws {
    var request = OriginationListApplicationsRequest()
    request.identityDocumentNumber = ""
    request.status = .unspecified
    let bytes = try request.serializedBytes()
    // Two fields: tag + length 0, tag + varint 0.
    #expect(bytes == [0x10, 0x00, 0x1a, 0x00])
    let decoded = try OriginationListApplicationsRequest(serializedBytes: bytes)
    #expect(decoded.identityDocumentNumber == "")
    #expect(decoded.status == .unspecified)
    #expect(try OriginationListApplicationsRequest(serializedBytes: []).status == nil)
  }

  @Test(arguments: [Int32.min, -1, 0, 1, Int32.max])
  func negativeInt32IsATenByteVarint(value: Int32) throws {
    var status = Grpc_Testing_EchoStatus()
    status.code = value
    let bytes = try status.serializedBytes()
    if value < 0 { #expect(bytes.count == 11) }
    #expect(try Grpc_Testing_EchoStatus(serializedBytes: bytes).code == value)
  }

  @Test func oneofArmsAndIntegerKeyedMapsRoundTrip() throws {
    var request = BillingCreateBillRequest()
    var reward = BillingCreateBillRequest.Reward()
    reward.rewardBp = 250
    request.basis = .reward(reward)
    #expect(try BillingCreateBillRequest(serializedBytes: request.serializedBytes()) == request)
    request.basis = .settlement(BillingCreateBillRequest.Settlement())
    let decoded = try BillingCreateBillRequest(serializedBytes: request.serializedBytes())
    #expect(decoded.basis == .settlement(BillingCreateBillRequest.Settlement()))

    var product = ProductEngineProduct()
    product.annualRateBpByTermMonths = [12: 1500, -3: 0, 60: Int32.min]
    #expect(try ProductEngineProduct(serializedBytes: product.serializedBytes()) == product)
  }

  @Test func unrecognizedEnumValuesAreKept() throws {
    // Field 4 (status) = 99, a value this contract does not define.
    let decoded = try OriginationApplication(serializedBytes: [0x20, 99])
    #expect(decoded.status == .unrecognized(99))
    #expect(try decoded.serializedBytes() == [0x20, 99])
  }

  @Test func unknownFieldsSurviveDecodeAndEncode() throws {
    // Field 1 (application_id) = "a", then unknown fields 100 (varint), 101 (fixed64),
    // 102 (length-delimited) and 103 (fixed32).
    let unknown: [UInt8] =
      [0xa0, 0x06, 0x96, 0x01] + [0xa9, 0x06] + Array(repeating: 7, count: 8)
      + [0xb2, 0x06, 0x02, 0x68, 0x69] + [0xbd, 0x06, 1, 2, 3, 4]
    let input: [UInt8] = [0x0a, 0x01, 0x61] + unknown
    let decoded = try OriginationApplication(serializedBytes: input)
    #expect(decoded.applicationId == "a")
    #expect(decoded.unknownFields.bytes == unknown)
    #expect(try decoded.serializedBytes() == input)
  }

  @Test func packedAndUnpackedRepeatedScalarsBothDecode() throws {
    // ResponseParameters is not repeated-scalar; use StreamingOutputCallRequest? Find a repeated
    // int field: grpc.testing.ReconnectInfo.backoff_ms (field 2, repeated int32).
    let packed: [UInt8] = [0x12, 0x03, 0x01, 0x02, 0x03]
    let unpacked: [UInt8] = [0x10, 0x01, 0x10, 0x02, 0x10, 0x03]
    let a = try Grpc_Testing_ReconnectInfo(serializedBytes: packed)
    let b = try Grpc_Testing_ReconnectInfo(serializedBytes: unpacked)
    #expect(a.backoffMs == [1, 2, 3])
    #expect(a == b)
    #expect(try b.serializedBytes() == packed)
  }

  @Test func oneofLastOneWins() throws {
    // basis.reward (field 5, empty) then basis.settlement (field 6, empty).
    let decoded = try BillingCreateBillRequest(serializedBytes: [0x2a, 0x00, 0x32, 0x00])
    #expect(decoded.basis == .settlement(BillingCreateBillRequest.Settlement()))
  }

  @Test func duplicateMapKeysLastOneWins() throws {
    // metadata (field 8) entries {"k": "1"} then {"k": "2"}.
    let entry = { (value: UInt8) -> [UInt8] in [0x42, 0x06, 0x0a, 0x01, 0x6b, 0x12, 0x01, value] }
    let decoded = try OriginationApplication(serializedBytes: entry(0x31) + entry(0x32))
    #expect(decoded.metadata == ["k": "2"])
  }

  @Test func largeBytesFieldRoundTripsWithoutLoss() throws {
    var payload = Grpc_Testing_Payload()
    payload.body = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    let decoded = try Grpc_Testing_Payload(serializedBytes: payload.serializedBytes())
    #expect(decoded.body == payload.body)
  }

  @Test func stringWithNulIsRefusedOnEncode() {
    var application = OriginationApplication()
    application.applicationId = "a\u{0}b"
    #expect(throws: ProtobufEncodingError.self) { try application.serializedBytes() }
  }

  @Test func textDumpIsCanonical() {
    var application = Self.application()
    application.metadata = ["b": "2", "a": "1"]
    application.applicant = nil
    #expect(
      application.textDump == """
        application_id: "app-0001"
        status: APPLICATION_STATUS_SCORING
        metadata {
          key: "a"
          value: "1"
        }
        metadata {
          key: "b"
          value: "2"
        }

        """)
  }
}

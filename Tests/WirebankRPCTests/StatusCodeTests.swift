import Testing
import WirebankProtobuf
import WirebankRPC

@Suite struct StatusCodeTests {
  static let expected: [(StatusCode, Int, String)] = [
    (.ok, 0, "OK"), (.cancelled, 1, "CANCELLED"), (.unknown, 2, "UNKNOWN"),
    (.invalidArgument, 3, "INVALID_ARGUMENT"), (.deadlineExceeded, 4, "DEADLINE_EXCEEDED"),
    (.notFound, 5, "NOT_FOUND"), (.alreadyExists, 6, "ALREADY_EXISTS"),
    (.permissionDenied, 7, "PERMISSION_DENIED"), (.resourceExhausted, 8, "RESOURCE_EXHAUSTED"),
    (.failedPrecondition, 9, "FAILED_PRECONDITION"), (.aborted, 10, "ABORTED"),
    (.outOfRange, 11, "OUT_OF_RANGE"), (.unimplemented, 12, "UNIMPLEMENTED"),
    (.internalError, 13, "INTERNAL"), (.unavailable, 14, "UNAVAILABLE"),
    (.dataLoss, 15, "DATA_LOSS"), (.unauthenticated, 16, "UNAUTHENTICATED"),
  ]

  @Test(arguments: expected)
  func numberAndName(code: StatusCode, number: Int, name: String) {
    #expect(code.rawValue == number)
    #expect(code.description == name)
    #expect(StatusCode(rawValue: number) == code)
  }

  @Test func allCasesAreTheSeventeenCodesInOrder() {
    #expect(StatusCode.allCases.map(\.rawValue) == Array(0...16))
  }

  @Test(arguments: [-1, 17, 99])
  func numbersGRPCDoesNotDefineAreRefused(number: Int) {
    #expect(StatusCode(rawValue: number) == nil)
  }
}

@Suite struct RPCErrorTests {
  @Test func descriptionShowsCodeAndMessageButNotCause() {
    struct Secret: Error {}
    let error = RPCError(.notFound, "no such loan", cause: Secret())
    #expect(error.description == "NOT_FOUND: no such loan")
    #expect(RPCError(code: .aborted, message: "").description == "ABORTED")
  }

  @Test func statusRoundTrip() {
    let trailers: Metadata = ["x-reason": "conflict"]
    let status = RPCStatus(code: .aborted, message: "retry", trailers: trailers)
    let error = RPCError(status: status)
    #expect(error.code == .aborted)
    #expect(error.message == "retry")
    #expect(error.metadata == trailers)
    #expect(RPCStatus(error) == status)
  }

  @Test func decodingFailureIsInternalAndNamesOnlyTheFault() {
    let failure = ProtobufDecodingError(
      code: .truncated, offset: 1234, fieldPath: "applicant.secret_note",
      messageName: "wirebank.lending.v1.LoanApplication")
    let error = RPCError(decodingFailure: failure)
    #expect(error.code == .internalError)
    #expect(error.message.contains("wirebank.lending.v1.LoanApplication"))
    #expect(error.message.contains("truncated"))
    #expect(!error.message.contains("1234"))
    #expect(!error.message.contains("secret_note"))
    #expect((error.cause as? ProtobufDecodingError) == failure)
  }

  @Test func oversizedMessageIsResourceExhausted() {
    let failure = ProtobufDecodingError(
      code: .tooLarge, offset: 4_194_304, fieldPath: "", messageName: "m.M")
    #expect(RPCError(decodingFailure: failure).code == .resourceExhausted)
  }

  @Test func realDecodingFailureConverts() throws {
    let truncated: [UInt8] = [0x0A, 0x05, 0x61]
    #expect(throws: ProtobufDecodingError.self) {
      try TestMessage(serializedBytes: truncated)
    }
    do {
      _ = try TestMessage(serializedBytes: truncated)
    } catch {
      #expect(RPCError(decodingFailure: error).code == .internalError)
    }
  }
}

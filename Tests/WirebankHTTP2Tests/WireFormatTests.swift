import Testing
import WirebankRPC

@testable import WirebankHTTP2

@Suite struct GRPCTimeoutTests {
  @Test(arguments: [
    ("1S", Duration.seconds(1)), ("100m", .milliseconds(100)), ("5u", .microseconds(5)),
    ("7n", .nanoseconds(7)), ("2M", .seconds(120)), ("1H", .seconds(3600)),
    ("99999999S", .seconds(99_999_999)),
  ])
  func parsesValidValues(text: String, expected: Duration) {
    #expect(GRPCTimeout.parse(text) == expected)
  }

  @Test(arguments: ["", "S", "1", "123456789S", "1s", "-1S", "1.5S", "1 S", "abcS"])
  func rejectsInvalidValues(text: String) {
    #expect(GRPCTimeout.parse(text) == nil)
  }

  @Test(arguments: [
    (Duration.milliseconds(1), "1000000n"), (.seconds(1), "1000000u"), (.seconds(100), "100000m"),
    (.seconds(1000), "1000000m"), (.seconds(200_000), "200000S"), (.zero, "1n"), (.seconds(-3), "1n"),
  ])
  func encodesInTheFinestUnitThatFits(duration: Duration, expected: String) {
    #expect(GRPCTimeout.encode(duration) == expected)
  }

  @Test func encodingRoundsUpAndRoundTrips() {
    let duration = Duration.nanoseconds(123_456_789_012)
    let encoded = GRPCTimeout.encode(duration)
    let decoded = try! #require(GRPCTimeout.parse(encoded))
    #expect(decoded >= duration)
    #expect(decoded - duration < .milliseconds(1))
  }

  @Test func hugeDurationsStayWithinTheGrammar() {
    let encoded = GRPCTimeout.encode(.seconds(Int64.max))
    #expect(encoded.utf8.count <= 9)
    #expect(GRPCTimeout.parse(encoded) != nil)
  }
}

@Suite struct PercentEncodingTests {
  @Test func leavesPrintableASCIIAlone() {
    #expect(PercentEncoding.encode("test status message") == "test status message")
  }

  @Test func escapesControlsPercentAndUnicode() {
    #expect(PercentEncoding.encode("a%b\n") == "a%25b%0A")
    #expect(PercentEncoding.encode("☺") == "%E2%98%BA")
  }

  @Test(arguments: [
    "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n", "100%", "", "plain",
  ])
  func roundTrips(message: String) {
    #expect(PercentEncoding.decode(PercentEncoding.encode(message)) == message)
  }

  @Test func decodingIsLenient() {
    #expect(PercentEncoding.decode("50%") == "50%")
    #expect(PercentEncoding.decode("%zz%4") == "%zz%4")
    #expect(PercentEncoding.decode("%4a%4A") == "JJ")
    // Bytes that are not UTF-8 are repaired, not refused.
    #expect(PercentEncoding.decode("%FF") == "\u{FFFD}")
  }
}

@Suite struct Base64Tests {
  @Test(arguments: [
    ([UInt8](), ""), ([0xAB], "qw"), ([0xAB, 0xAB], "q6s"), ([0xAB, 0xAB, 0xAB], "q6ur"),
    (Array("hello".utf8), "aGVsbG8"),
  ])
  func encodesWithoutPadding(bytes: [UInt8], expected: String) {
    #expect(Base64.encode(bytes) == expected)
    #expect(Base64.decode(Array(expected.utf8)) == bytes)
  }

  @Test func acceptsPaddedInput() {
    #expect(Base64.decode(Array("aGVsbG8=".utf8)) == Array("hello".utf8))
    #expect(Base64.decode(Array("qw==".utf8)) == [0xAB])
  }

  @Test(arguments: ["a", "ab!c", "a b", "aGVsbG8*"])
  func rejectsInvalidInput(text: String) {
    #expect(Base64.decode(Array(text.utf8)) == nil)
  }
}

@Suite struct StatusMappingTests {
  @Test(arguments: [
    (400, StatusCode.internalError), (401, .unauthenticated), (403, .permissionDenied),
    (404, .unimplemented), (429, .unavailable), (502, .unavailable), (503, .unavailable),
    (504, .unavailable), (500, .unknown), (415, .unknown),
  ])
  func mapsHTTPStatuses(status: Int, code: StatusCode) {
    #expect(StatusMapping.code(forHTTPStatus: status) == code)
  }

  @Test(arguments: [
    (HTTP2ErrorCode.noError, StatusCode.internalError), (HTTP2ErrorCode.protocolError, .internalError),
    (HTTP2ErrorCode.refusedStream, .unavailable), (HTTP2ErrorCode.cancel, .cancelled),
    (HTTP2ErrorCode.enhanceYourCalm, .resourceExhausted),
    (HTTP2ErrorCode.inadequateSecurity, .permissionDenied),
  ])
  func mapsResetCodes(errorCode: UInt32, code: StatusCode) {
    #expect(StatusMapping.code(forHTTP2Error: errorCode) == code)
  }
}

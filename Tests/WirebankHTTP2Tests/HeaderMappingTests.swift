import Testing
import WirebankRPC

@testable import WirebankHTTP2

@Suite struct RequestHeadTests {
  private let base = [
    (":method", "POST"), (":scheme", "http"), (":path", "/pkg.Service/Method"),
    (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers"),
  ]

  @Test func readsAGRPCRequest() throws {
    let head = try RequestHead.parse(
      HeaderBlock(
        base + [
          ("grpc-timeout", "250m"), ("grpc-encoding", "gzip"),
          ("grpc-accept-encoding", "identity, deflate,gzip"), ("user-agent", "test"),
          ("x-custom", "value"), ("x-data-bin", "q6ur"), ("x-data-bin", "qw=="),
        ]))
    #expect(head.path == "/pkg.Service/Method")
    #expect(head.timeout == .milliseconds(250))
    #expect(head.encoding == .gzip)
    #expect(head.acceptsGzip)
    #expect(head.metadata[string: "x-custom"] == "value")
    #expect(head.metadata[string: "user-agent"] == "test")
    #expect(head.metadata.values(forKey: "x-data-bin") == [.binary([0xAB, 0xAB, 0xAB]), .binary([0xAB])])
    #expect(!head.metadata.contains("te") && !head.metadata.contains("content-type"))
    #expect(!head.metadata.contains("grpc-timeout"))
  }

  @Test(arguments: ["application/grpc", "application/grpc+proto", "application/grpc;charset=x"])
  func acceptsGRPCContentTypes(contentType: String) throws {
    let fields = base.filter { $0.0 != "content-type" } + [("content-type", contentType)]
    #expect(try RequestHead.parse(HeaderBlock(fields)).path == "/pkg.Service/Method")
  }

  @Test(arguments: ["application/json", "application/grpcx", "text/plain", nil])
  func answersOtherContentTypesWith415(contentType: String?) {
    var fields = base.filter { $0.0 != "content-type" }
    if let contentType { fields.append(("content-type", contentType)) }
    #expect {
      try RequestHead.parse(HeaderBlock(fields))
    } throws: { error in
      guard case .http(415, _) = error as? RequestHead.Rejection else { return false }
      return true
    }
  }

  @Test func answersOtherMethodsWith405() {
    let fields = base.map { $0.0 == ":method" ? (":method", "GET") : $0 }
    #expect {
      try RequestHead.parse(HeaderBlock(fields))
    } throws: { error in
      guard case .http(405, _) = error as? RequestHead.Rejection else { return false }
      return true
    }
  }

  @Test func refusesAnUnsupportedEncodingAsUnimplemented() {
    #expect {
      try RequestHead.parse(HeaderBlock(base + [("grpc-encoding", "br")]))
    } throws: { error in
      guard case .grpc(let status) = error as? RequestHead.Rejection else { return false }
      return status.code == .unimplemented
    }
  }

  @Test func refusesAMalformedTimeoutOrBinaryValue() {
    for extra in [("grpc-timeout", "1.5S"), ("x-data-bin", "!!")] {
      #expect {
        try RequestHead.parse(HeaderBlock(base + [extra]))
      } throws: { error in
        guard case .grpc(let status) = error as? RequestHead.Rejection else { return false }
        return status.code == .internalError
      }
    }
  }
}

@Suite struct ResponseHeadersTests {
  @Test func serverHeadersTrailersAndTrailersOnly() {
    var builder = HeaderListBuilder()
    var metadata = Metadata()
    try! metadata.add("x-initial", "v")
    GRPCHeaders.response(encoding: .gzip, metadata: metadata, into: &builder)
    let headers = ResponseHead.parse(builder.block)
    #expect(headers.httpStatus == 200 && headers.isGRPC && headers.encoding == .gzip)
    #expect(headers.metadata[string: "x-initial"] == "v")
    #expect(headers.status == nil && headers.immediateStatus == nil)

    builder.removeAll()
    var trailers = Metadata()
    try! trailers.add("x-trailing-bin", bytes: [1, 2, 3])
    let status = RPCStatus(code: .notFound, message: "no such thing: ☺%", trailers: trailers)
    GRPCHeaders.trailers(status, into: &builder)
    #expect(builder.block.value(of: "grpc-status") == "5")
    #expect(builder.block.value(of: "grpc-message") == "no such thing: %E2%98%BA%25")
    #expect(ResponseHead.parseTrailers(builder.block) == status)

    builder.removeAll()
    GRPCHeaders.trailersOnly(status, headerMetadata: Metadata(), into: &builder)
    let only = ResponseHead.parse(builder.block)
    #expect(only.immediateStatus == status)
  }

  @Test func okTrailersCarryNoMessage() {
    var builder = HeaderListBuilder()
    GRPCHeaders.trailers(.ok, into: &builder)
    #expect(builder.block.fields.map(\.name) == ["grpc-status"])
  }

  @Test func nonGRPCResponsesMapFromHTTP() {
    let head = ResponseHead.parse(HeaderBlock([(":status", "503"), ("content-type", "text/html")]))
    #expect(head.immediateStatus?.code == .unavailable)
    let wrongType = ResponseHead.parse(HeaderBlock([(":status", "200"), ("content-type", "text/html")]))
    #expect(wrongType.immediateStatus?.code == .unknown)
  }

  @Test func trailersWithoutStatusAreUnknown() {
    #expect(ResponseHead.parseTrailers(HeaderBlock([("x-a", "b")])).code == .unknown)
    #expect(ResponseHead.parseTrailers(HeaderBlock([("grpc-status", "99")])).code == .unknown)
  }

  @Test func clientRequestHeaders() {
    var builder = HeaderListBuilder()
    var metadata = Metadata()
    try! metadata.add("x-bin", bytes: [0xAB])
    GRPCHeaders.request(
      path: "/a.B/C", authority: "host:1", timeout: .seconds(2), encoding: .gzip,
      metadata: metadata, into: &builder)
    let block = builder.block
    #expect(block.value(of: ":path") == "/a.B/C")
    #expect(block.value(of: "te") == "trailers")
    #expect(block.value(of: "grpc-timeout") == "2000000u")
    #expect(block.value(of: "grpc-encoding") == "gzip")
    #expect(block.value(of: "x-bin") == "qw")
    let head = try? RequestHead.parse(block)
    #expect(head?.metadata[binary: "x-bin"] == [0xAB])
  }
}

@Suite struct ServerStreamStateMachineTests {
  @Test func headersMessagesTrailers() {
    var machine = ServerStreamStateMachine(maximumMessageSize: 100, decompressor: nil)
    #expect(machine.send() == .startResponse)
    #expect(machine.send() == .append)
    #expect(machine.finish(.ok) == .completeBody)
    #expect(machine.send() == .refuse)
    #expect(machine.finish(.ok) == .none)
    #expect(machine.bodyDrained() == .ok)
    #expect(machine.isClosed)
  }

  @Test func anImmediateStatusIsTrailersOnly() {
    var machine = ServerStreamStateMachine(maximumMessageSize: 100, decompressor: nil)
    let status = RPCStatus(code: .notFound, message: "x")
    #expect(machine.finish(status) == .trailersOnly(status))
    #expect(machine.isClosed)
    #expect(machine.bodyDrained() == nil)
  }
}

import Testing
import WirebankProtobuf
import WirebankRPC

@Suite struct MethodHandlerTests {
  static let echo = MethodDescriptor(service: "wirebank.test.Echo", method: "Get", kind: .unary)
  static let collect = MethodDescriptor(
    service: "wirebank.test.Echo", method: "Collect", kind: .clientStreaming)
  static let expand = MethodDescriptor(
    service: "wirebank.test.Echo", method: "Expand", kind: .serverStreaming)
  static let chat = MethodDescriptor(
    service: "wirebank.test.Echo", method: "Chat", kind: .bidirectionalStreaming)

  static func unary(
    _ body: @escaping @Sendable (TestMessage, ServerContext) async throws -> TestMessage
  ) -> MethodHandler {
    .unary(echo, body)
  }

  @Test func unaryRunsTheBodyAndSendsItsResponse() async throws {
    let call = try ScriptedServerCall(method: Self.echo, messages: [TestMessage("ping")])
    let status = await Self.unary { request, _ in TestMessage(request.text + "-pong") }
      .handle(call)
    #expect(status == .ok)
    #expect(try call.sentMessages().map(\.text) == ["ping-pong"])
  }

  @Test func rpcErrorPassesThroughWithItsMetadataAsTrailers() async throws {
    let call = try ScriptedServerCall(method: Self.echo, messages: [TestMessage("x")])
    let status = await Self.unary { _, context in
      context.responseTrailers = ["x-set-before": "yes"]
      throw RPCError(.failedPrecondition, "loan is closed", metadata: ["x-loan": "42"])
    }.handle(call)
    #expect(status.code == .failedPrecondition)
    #expect(status.message == "loan is closed")
    #expect(status.trailers == ["x-set-before": "yes", "x-loan": "42"])
    #expect(call.sent.isEmpty)
  }

  @Test func otherErrorsBecomeUnknownWithoutTheirText() async throws {
    struct DatabaseFailure: Error, CustomStringConvertible {
      var description: String { "password=hunter2 at db.internal:5432" }
    }
    let call = try ScriptedServerCall(method: Self.echo, messages: [TestMessage("x")])
    let status = await Self.unary { _, _ in throw DatabaseFailure() }.handle(call)
    #expect(status.code == .unknown)
    #expect(!status.message.contains("hunter2"))
    #expect(!status.message.contains("db.internal"))
    #expect(!status.message.contains("DatabaseFailure"))
  }

  @Test func cancellationErrorBecomesCancelled() async throws {
    let call = try ScriptedServerCall(method: Self.echo, messages: [TestMessage("x")])
    let status = await Self.unary { _, _ in throw CancellationError() }.handle(call)
    #expect(status.code == .cancelled)
  }

  @Test func rpcErrorWithOKCodeIsNotASuccess() async throws {
    let call = try ScriptedServerCall(method: Self.echo, messages: [TestMessage("x")])
    let status = await Self.unary { _, _ in throw RPCError(.ok, "odd") }.handle(call)
    #expect(status.code == .unknown)
  }

  @Test(arguments: [0, 2, 3])
  func unaryNeedsExactlyOneRequest(count: Int) async throws {
    let requests = (0..<count).map { TestMessage("r\($0)") }
    let call = try ScriptedServerCall(method: Self.echo, messages: requests)
    let runs = Counter()
    let status = await Self.unary { request, _ in
      runs.increment()
      return request
    }.handle(call)
    #expect(status.code == .unimplemented)
    #expect(runs.current == 0)
    #expect(call.sent.isEmpty)
  }

  @Test(arguments: [0, 2])
  func serverStreamingNeedsExactlyOneRequest(count: Int) async throws {
    let requests = (0..<count).map { TestMessage("r\($0)") }
    let call = try ScriptedServerCall(method: Self.expand, messages: requests)
    let handler = MethodHandler.serverStreaming(Self.expand) {
      (request: TestMessage, writer: ResponseWriter<TestMessage>, _) in
      try await writer.write(request)
    }
    let status = await handler.handle(call)
    #expect(status.code == .unimplemented)
    #expect(call.sent.isEmpty)
  }

  @Test func undecodableRequestIsInternal() async throws {
    let call = ScriptedServerCall(
      method: Self.echo, requests: [RawMessage([0x0A, 0x09, 0x61])])
    let status = await Self.unary { request, _ in request }.handle(call)
    #expect(status.code == .internalError)
    #expect(status.message.contains("wirebank.test.TestMessage"))
  }

  @Test func clientStreamingReadsEveryRequest() async throws {
    let call = try ScriptedServerCall(
      method: Self.collect, messages: ["a", "b", "c"].map { TestMessage($0) })
    let handler = MethodHandler.clientStreaming(Self.collect) {
      (requests: RequestStream<TestMessage>, _) in
      var joined = ""
      for try await request in requests { joined += request.text }
      return TestMessage(joined)
    }
    #expect(await handler.handle(call) == .ok)
    #expect(try call.sentMessages().map(\.text) == ["abc"])
  }

  @Test func undecodableStreamedRequestEndsTheCallAsInternal() async throws {
    let call = ScriptedServerCall(
      method: Self.collect,
      requests: [RawMessage(try TestMessage("ok").serializedBytes()), RawMessage([0xFF])])
    let handler = MethodHandler.clientStreaming(Self.collect) {
      (requests: RequestStream<TestMessage>, _) in
      for try await _ in requests {}
      return TestMessage("unreachable")
    }
    #expect(await handler.handle(call).code == .internalError)
  }

  @Test func bidirectionalWritesAsItReads() async throws {
    let call = try ScriptedServerCall(
      method: Self.chat, messages: ["a", "b"].map { TestMessage($0) })
    let handler = MethodHandler.bidirectionalStreaming(Self.chat) {
      (requests: RequestStream<TestMessage>, writer: ResponseWriter<TestMessage>, _) in
      for try await request in requests {
        try await writer.write(TestMessage(request.text.uppercased()), compressed: true)
      }
    }
    #expect(await handler.handle(call) == .ok)
    #expect(try call.sentMessages().map(\.text) == ["A", "B"])
    #expect(call.sent.map(\.compressed) == [true, true])
  }

  @Test func trailersAndCompressionComeFromTheContext() async throws {
    let call = ScriptedServerCall(
      method: Self.echo,
      requests: [RawMessage(try TestMessage("x").serializedBytes(), compressed: true)])
    let status = await Self.unary { request, context in
      #expect(context.lastRequestWasCompressed)
      context.compressesResponses = true
      context.responseTrailers = ["x-done": "1"]
      return request
    }.handle(call)
    #expect(status == RPCStatus(code: .ok, trailers: ["x-done": "1"]))
    #expect(call.sent.map(\.compressed) == [true])
  }

  @Test func routerAnswersUnknownMethodsWithUnimplemented() async throws {
    let router = MethodRouter(handlers: [Self.unary { request, _ in request }])
    #expect(router.methods == [Self.echo])
    let other = MethodDescriptor(service: "wirebank.test.Echo", method: "Nope", kind: .unary)
    let status = await router.handle(try ScriptedServerCall(method: other, messages: []))
    #expect(status.code == .unimplemented)
    #expect(status.message.contains("/wirebank.test.Echo/Nope"))
  }

  @Test func requestStreamAndResponseWriterWorkWithoutATransport() async throws {
    let requests = RequestStream([TestMessage("1"), TestMessage("2")])
    var seen: [String] = []
    for try await request in requests { seen.append(request.text) }
    #expect(seen == ["1", "2"])
    let written = Counter()
    let writer = ResponseWriter<TestMessage> { _ in written.increment() }
    try await writer.write(contentsOf: [TestMessage("a"), TestMessage("b")])
    #expect(written.current == 2)
  }
}

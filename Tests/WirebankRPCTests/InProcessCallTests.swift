import Testing
import WirebankProtobuf
import WirebankRPC

/// The in-process transport end to end, with `TestMessage` (no generated contracts needed).
@Suite struct InProcessCallTests {
  static let service = "wirebank.test.Echo"
  static let get = MethodDescriptor(service: service, method: "Get", kind: .unary)
  static let collect = MethodDescriptor(service: service, method: "Collect", kind: .clientStreaming)
  static let expand = MethodDescriptor(service: service, method: "Expand", kind: .serverStreaming)
  static let chat = MethodDescriptor(
    service: service, method: "Chat", kind: .bidirectionalStreaming)

  static func transport(_ handlers: MethodHandler...) -> InProcessTransport {
    InProcessTransport(router: MethodRouter(handlers: handlers))
  }

  static func call(
    _ transport: InProcessTransport, _ text: String, options: CallOptions = CallOptions()
  ) async throws -> TestMessage {
    try await transport.unary(get, request: TestMessage(text), options: options)
  }

  @Test func unaryCarriesMetadataBothWays() async throws {
    let transport = Self.transport(
      .unary(Self.get) { (request: TestMessage, context) in
        #expect(context.metadata[string: "x-user"] == "alice")
        #expect(context.peer == "in-process")
        #expect(context.method == Self.get)
        context.responseHeaders = ["x-served-by": "test"]
        context.responseTrailers = ["x-cost": "3"]
        return TestMessage(request.text + "!")
      })
    let response: ClientResponse<TestMessage> = try await transport.unaryWithMetadata(
      Self.get, request: TestMessage("hi"), options: CallOptions(metadata: ["x-user": "alice"]))
    #expect(response.message.text == "hi!")
    #expect(response.headers == ["x-served-by": "test"])
    #expect(response.trailers == ["x-cost": "3"])
  }

  @Test func clientStreamingWithMoreMessagesThanTheBufferHolds() async throws {
    let transport = Self.transport(
      .clientStreaming(Self.collect) { (requests: RequestStream<TestMessage>, _) in
        var count = 0
        for try await _ in requests { count += 1 }
        return TestMessage("\(count)")
      })
    let response: TestMessage = try await transport.clientStreaming(
      Self.collect, options: CallOptions()
    ) { writer in
      for index in 0..<200 { try await writer.write(TestMessage("\(index)")) }
    }
    #expect(response.text == "200")
  }

  @Test func serverStreamingDeliversEveryResponseInOrder() async throws {
    let transport = Self.transport(
      .serverStreaming(Self.expand) {
        (request: TestMessage, writer: ResponseWriter<TestMessage>, _) in
        for index in 0..<(Int(request.text) ?? 0) {
          try await writer.write(TestMessage("\(index)"))
        }
      })
    let texts = try await transport.serverStreaming(
      Self.expand, request: TestMessage("100"), options: CallOptions()
    ) { (responses: ResponseStream<TestMessage>) in
      var texts: [String] = []
      for try await response in responses { texts.append(response.text) }
      return texts
    }
    #expect(texts == (0..<100).map { "\($0)" })
  }

  @Test func bidirectionalPingPongInterleaves() async throws {
    let transport = Self.transport(
      .bidirectionalStreaming(Self.chat) {
        (requests: RequestStream<TestMessage>, writer: ResponseWriter<TestMessage>, _) in
        for try await request in requests {
          try await writer.write(TestMessage("pong " + request.text))
        }
      })
    let (answers, answered) = AsyncStream.makeStream(of: Void.self)
    let replies = try await transport.bidirectionalStreaming(
      Self.chat, options: CallOptions(),
      requests: { (writer: RequestWriter<TestMessage>) in
        var iterator = answers.makeAsyncIterator()
        for index in 0..<5 {
          try await writer.write(TestMessage("\(index)"))
          // The next ping goes out only after the pong to this one came back.
          guard await iterator.next() != nil else { return }
        }
      },
      responses: { (responses: ResponseStream<TestMessage>) in
        var replies: [String] = []
        for try await response in responses {
          replies.append(response.text)
          answered.yield()
        }
        return replies
      })
    #expect(replies == (0..<5).map { "pong \($0)" })
  }

  @Test func serverErrorReachesTheClientWithTrailers() async throws {
    let transport = Self.transport(
      .unary(Self.get) { (_: TestMessage, _) -> TestMessage in
        throw RPCError(.notFound, "no such dispute", metadata: ["x-dispute": "d-1"])
      })
    let error = await rpcError { _ = try await Self.call(transport, "x") }
    #expect(error?.code == .notFound)
    #expect(error?.message == "no such dispute")
    #expect(error?.metadata == ["x-dispute": "d-1"])
  }

  @Test func unknownMethodIsUnimplemented() async throws {
    let error = await rpcError { _ = try await Self.call(Self.transport(), "x") }
    #expect(error?.code == .unimplemented)
  }

  @Test func errorThrownByTheRequestProducerIsRethrownAndCancelsTheCall() async throws {
    struct ProducerFailure: Error {}
    let handlerEnded = Signal<Void>()
    let transport = Self.transport(
      .clientStreaming(Self.collect) { (requests: RequestStream<TestMessage>, _) in
        defer { handlerEnded.fire() }
        for try await _ in requests {}
        return TestMessage("done")
      })
    await #expect(throws: ProducerFailure.self) {
      let _: TestMessage = try await transport.clientStreaming(
        Self.collect, options: CallOptions()
      ) { writer in
        try await writer.write(TestMessage("one"))
        throw ProducerFailure()
      }
    }
    try await handlerEnded.wait()
  }

  @Test func handlerThatStopsReadingEarlyStillAnswers() async throws {
    let transport = Self.transport(
      .clientStreaming(Self.collect) { (requests: RequestStream<TestMessage>, _) in
        for try await request in requests { return request }
        return TestMessage("none")
      })
    let response: TestMessage = try await transport.clientStreaming(
      Self.collect, options: CallOptions()
    ) { writer in
      for index in 0..<1000 { try await writer.write(TestMessage("\(index)")) }
    }
    #expect(response.text == "0")
  }

  @Test func endlessProducerStopsWhenTheServerEndsTheCall() async throws {
    let transport = Self.transport(
      .bidirectionalStreaming(Self.chat) {
        (requests: RequestStream<TestMessage>, writer: ResponseWriter<TestMessage>, _) in
        for try await request in requests {
          try await writer.write(request)
          return
        }
      })
    let replies = try await withTimeout(.seconds(10)) {
      try await transport.bidirectionalStreaming(
        Self.chat, options: CallOptions(),
        requests: { (writer: RequestWriter<TestMessage>) in
          while true { try await writer.write(TestMessage("again")) }
        },
        responses: { (responses: ResponseStream<TestMessage>) in
          var count = 0
          for try await _ in responses { count += 1 }
          return count
        })
    }
    #expect(replies == 1)
  }

  @Test func serverFailureEndsAnEndlessProducerWithTheServersStatus() async throws {
    let transport = Self.transport(
      .clientStreaming(Self.collect) { (requests: RequestStream<TestMessage>, _) -> TestMessage in
        for try await _ in requests { throw RPCError(.invalidArgument, "first one is bad") }
        return TestMessage()
      })
    let error = await rpcError {
      let _: TestMessage = try await withTimeout(.seconds(10)) {
        try await transport.clientStreaming(Self.collect, options: CallOptions()) { writer in
          while true { try await writer.write(TestMessage("more")) }
        }
      }
    }
    #expect(error?.code == .invalidArgument)
    #expect(error?.message == "first one is bad")
  }

  @Test(arguments: [0, 2])
  func wrongNumberOfUnaryResponsesIsUnimplemented(count: Int) async throws {
    // A streaming handler mounted on the unary method's path breaks the unary contract.
    let rogue = MethodDescriptor(
      service: Self.service, method: "Get", kind: .bidirectionalStreaming)
    let transport = Self.transport(
      .bidirectionalStreaming(rogue) {
        (_: RequestStream<TestMessage>, writer: ResponseWriter<TestMessage>, _) in
        for _ in 0..<count { try await writer.write(TestMessage("r")) }
      })
    let error = await rpcError { _ = try await Self.call(transport, "x") }
    #expect(error?.code == .unimplemented)
  }

  @Test func oversizedResponseIsResourceExhausted() async throws {
    let transport = Self.transport(
      .unary(Self.get) { (_: TestMessage, _) in TestMessage(String(repeating: "x", count: 64)) })
    let error = await rpcError {
      _ = try await Self.call(transport, "x", options: CallOptions(maximumResponseSize: 16))
    }
    #expect(error?.code == .resourceExhausted)
  }

  @Test func compressionFlagsTravelPerMessage() async throws {
    let flags = Signal<[Bool]>()
    let transport = Self.transport(
      .clientStreaming(Self.collect) { (requests: RequestStream<TestMessage>, context) in
        var seen: [Bool] = []
        for try await _ in requests { seen.append(context.lastRequestWasCompressed) }
        flags.fire(seen)
        return TestMessage()
      })
    let _: TestMessage = try await transport.clientStreaming(
      Self.collect, options: CallOptions(compression: .gzip)
    ) { writer in
      try await writer.write(TestMessage("a"))
      try await writer.write(TestMessage("b"), compressed: false)
    }
    #expect(try await flags.wait() == [true, false])
  }
}

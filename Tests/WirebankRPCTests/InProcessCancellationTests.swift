import Testing
import WirebankProtobuf
import WirebankRPC

/// Cancellation and deadlines over the in-process transport: both end the call for the client
/// and cancel the handler.
@Suite struct InProcessCancellationTests {
  typealias Calls = InProcessCallTests
  static let get = Calls.get
  static let expand = Calls.expand

  static func transport(_ handlers: MethodHandler...) -> InProcessTransport {
    InProcessTransport(router: MethodRouter(handlers: handlers))
  }

  static func call(
    _ transport: InProcessTransport, _ text: String, options: CallOptions = CallOptions()
  ) async throws -> TestMessage {
    try await Calls.call(transport, text, options: options)
  }

  @Test func cancellingTheClientCancelsTheHandler() async throws {
    let started = Signal<Void>()
    let handlerSaw = Signal<Bool>()
    let transport = Self.transport(
      .unary(Self.get) { (request: TestMessage, _) in
        started.fire()
        do {
          try await Task.sleep(for: .seconds(3600))
        } catch {
          handlerSaw.fire(error is CancellationError && Task.isCancelled)
          throw error
        }
        return request
      })
    let client = Task { try await Self.call(transport, "slow") }
    try await started.wait()
    client.cancel()
    let error = await rpcError { _ = try await client.value }
    #expect(error?.code == .cancelled)
    #expect(try await handlerSaw.wait())
  }

  @Test func deadlineEndsTheCallAndCancelsTheHandler() async throws {
    let handlerCancelled = Signal<Bool>()
    let transport = Self.transport(
      .unary(Self.get) { (request: TestMessage, context) in
        #expect(context.deadline != nil)
        do {
          try await Task.sleep(for: .seconds(3600))
        } catch {
          handlerCancelled.fire(Task.isCancelled)
          throw error
        }
        return request
      })
    let error = await rpcError {
      // Long enough that the handler has started on a busy machine: the deadline, not the
      // handler's scheduling, is what ends the call.
      _ = try await Self.call(transport, "x", options: CallOptions(timeout: .seconds(2)))
    }
    #expect(error?.code == .deadlineExceeded)
    #expect(try await handlerCancelled.wait())
  }

  @Test func deadlineInterruptsAStreamAfterItsFirstResponse() async throws {
    let transport = Self.transport(
      .serverStreaming(Self.expand) { (_: TestMessage, writer: ResponseWriter<TestMessage>, _) in
        try await writer.write(TestMessage("first"))
        try await Task.sleep(for: .seconds(3600))
      })
    let received = Counter()
    let error = await rpcError {
      try await transport.serverStreaming(
        Self.expand, request: TestMessage(), options: CallOptions(timeout: .seconds(2))
      ) { (responses: ResponseStream<TestMessage>) in
        for try await _ in responses { received.increment() }
      }
    }
    #expect(error?.code == .deadlineExceeded)
    #expect(received.current == 1)
  }

  @Test func returningEarlyFromServerStreamingCancelsTheHandler() async throws {
    let handlerCancelled = Signal<Void>()
    let transport = Self.transport(
      .serverStreaming(Self.expand) { (_: TestMessage, writer: ResponseWriter<TestMessage>, _) in
        do {
          while true { try await writer.write(TestMessage("more")) }
        } catch {
          handlerCancelled.fire()
          throw error
        }
      })
    let first = try await transport.serverStreaming(
      Self.expand, request: TestMessage(), options: CallOptions()
    ) { (responses: ResponseStream<TestMessage>) in
      for try await response in responses { return response.text }
      return ""
    }
    #expect(first == "more")
    try await handlerCancelled.wait()
  }
}

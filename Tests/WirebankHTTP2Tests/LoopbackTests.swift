import Testing
import WirebankContracts
@testable import WirebankHTTP2
import WirebankInterop
import WirebankRPC

@Suite struct LoopbackTests {
  @Test(arguments: InteropTestCase.allCases)
  func interopCase(_ testCase: InteropTestCase) async throws {
    let loopback = try await Loopback.start()
    try await withTimeout(.seconds(20)) {
      try await testCase.run(using: loopback.transport)
    }
    try await loopback.stop()
  }

  @Test func manyConcurrentCallsShareOneConnection() async throws {
    let loopback = try await Loopback.start()
    let client = loopback.testService
    try await withThrowingTaskGroup(of: Int.self) { group in
      for index in 0..<200 {
        group.addTask {
          var request = Grpc_Testing_SimpleRequest()
          request.responseSize = Int32(index)
          return try await client.unaryCall(request).payload?.body.count ?? -1
        }
      }
      var sizes: [Int] = []
      for try await size in group { sizes.append(size) }
      #expect(sizes.sorted() == Array(0..<200))
    }
    try await loopback.stop()
  }

  @Test func cancellingTheClientTaskCancelsTheHandler() async throws {
    let loopback = try await Loopback.start()
    let transport = loopback.transport
    let call = Task {
      try await transport.serverStreaming(
        ProbeService.hang, request: Grpc_Testing_Empty(), options: CallOptions()
      ) { (responses: ResponseStream<Grpc_Testing_Empty>) in
        for try await _ in responses {}
      }
    }
    try await loopback.probe.hangStarted.wait()
    call.cancel()
    let error = await rpcError { try await call.value }
    #expect(error?.code == .cancelled)
    try await loopback.probe.hangCancelled.wait()
    try await loopback.stop()
  }

  @Test func aDeadlineEndsTheCallOnBothSides() async throws {
    let loopback = try await Loopback.start()
    let started = ContinuousClock.now
    let error = await rpcError {
      try await loopback.transport.serverStreaming(
        ProbeService.hang, request: Grpc_Testing_Empty(),
        options: CallOptions(timeout: .milliseconds(200))
      ) { (responses: ResponseStream<Grpc_Testing_Empty>) in
        for try await _ in responses {}
      }
    }
    #expect(error?.code == .deadlineExceeded)
    #expect(ContinuousClock.now - started < .seconds(5))
    // On a loaded machine the deadline can pass before the server even starts the handler
    // (then there is nothing to cancel); a handler that did start must be cancelled.
    if (try? await loopback.probe.hangStarted.wait(timeout: .seconds(2))) != nil {
      try await loopback.probe.hangCancelled.wait()
    }
    try await loopback.stop()
  }

  @Test func contextCarriesPeerDeadlineAndMetadata() async throws {
    let loopback = try await Loopback.start()
    var metadata = Metadata()
    try metadata.add("x-echo", "hello")
    let response: ClientResponse<Grpc_Testing_Empty> = try await loopback.transport
      .unaryWithMetadata(
        ProbeService.peer, request: Grpc_Testing_Empty(),
        options: CallOptions(timeout: .seconds(30), metadata: metadata))
    #expect(response.headers[string: "x-peer"]?.hasPrefix("ipv4:127.0.0.1:") == true)
    #expect(response.headers[string: "x-has-deadline"] == "yes")
    #expect(response.headers[string: "x-echo"] == "hello")
    try await loopback.stop()
  }

  @Test func errorDetailsTravelInGrpcStatusDetailsBin() async throws {
    let loopback = try await Loopback.start()
    let error = await rpcError {
      let _: Grpc_Testing_Empty = try await loopback.transport.unary(
        ProbeService.details, request: Grpc_Testing_Empty(), options: CallOptions())
    }
    #expect(error?.code == .invalidArgument)
    #expect(
      error?.metadata.values(forKey: Metadata.statusDetailsKey)
        == [.binary([0x08, 0x03, 0x12, 0x01, 0x78])])
    try await loopback.stop()
  }

  @Test func aHandlerErrorIsUnknownWithoutInternals() async throws {
    let loopback = try await Loopback.start()
    let error = await rpcError {
      let _: Grpc_Testing_Empty = try await loopback.transport.unary(
        ProbeService.fail, request: Grpc_Testing_Empty(), options: CallOptions())
    }
    #expect(error?.code == .unknown)
    #expect(error?.message.contains("Secret") == false)
    try await loopback.stop()
  }

  @Test func requestsPastTheServerLimitAreResourceExhausted() async throws {
    let loopback = try await Loopback.start(
      configuration: HTTP2Server.Configuration(maximumRequestSize: 1000))
    var request = Grpc_Testing_SimpleRequest()
    request.payload = InteropTestService.payload(size: 2000)
    let error = await rpcError { _ = try await loopback.testService.unaryCall(request) }
    #expect(error?.code == .resourceExhausted)
    try await loopback.stop()
  }

  @Test func responsesPastTheClientLimitAreResourceExhausted() async throws {
    let loopback = try await Loopback.start()
    var request = Grpc_Testing_SimpleRequest()
    request.responseSize = 5000
    let error = await rpcError {
      _ = try await loopback.testService.unaryCall(
        request, options: CallOptions(maximumResponseSize: 1000))
    }
    #expect(error?.code == .resourceExhausted)
    try await loopback.stop()
  }

  @Test func theClientKeepsToMaxConcurrentStreams() async throws {
    let loopback = try await Loopback.start(
      configuration: HTTP2Server.Configuration(settings: HTTP2Settings(maxConcurrentStreams: 2)))
    let transport = loopback.transport
    // A first call makes sure the server's SETTINGS have arrived.
    let _: Grpc_Testing_Empty = try await transport.unary(
      ProbeService.peer, request: Grpc_Testing_Empty(), options: CallOptions())
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<10 {
        group.addTask {
          let _: Grpc_Testing_Empty = try await transport.unary(
            ProbeService.slow, request: Grpc_Testing_Empty(), options: CallOptions())
        }
      }
      try await group.waitForAll()
    }
    #expect(loopback.probe.peakConcurrency <= 2)
    try await loopback.stop()
  }

  /// A unary request's HEADERS, its message and END_STREAM leave in one write, not one write
  /// for the headers and another for the body (which doubled the packets and the server's reads).
  @Test func aUnaryRequestLeavesInOneWrite() async throws {
    let loopback = try await Loopback.start()
    let client = loopback.testService
    // The first calls connect and settle the SETTINGS exchange.
    for _ in 0..<2 { _ = try await client.emptyCall(Grpc_Testing_Empty()) }
    let before = try #require(try await loopback.transport.connectionWrites)
    for _ in 0..<5 { _ = try await client.emptyCall(Grpc_Testing_Empty()) }
    let after = try #require(try await loopback.transport.connectionWrites)
    #expect(after - before == 5, "\(after - before)")
    try await loopback.stop()
  }

  @Test func unavailableWhileDownThenReconnects() async throws {
    let first = HTTP2Server(services: [InteropTestService()])
    try await first.start()
    let port = try #require(first.port)
    let transport = HTTP2ClientTransport(
      configuration: .init(
        host: "127.0.0.1", port: port,
        backoff: ConnectionBackoff(initial: .milliseconds(20), maximum: .milliseconds(100))))
    let client = Grpc_Testing_TestService.Client(transport: transport)
    _ = try await client.emptyCall(Grpc_Testing_Empty())
    first.beginGracefulShutdown()
    try await withTimeout(.seconds(10)) { try await first.run() }

    let error = await rpcError { _ = try await client.emptyCall(Grpc_Testing_Empty()) }
    #expect(error?.code == .unavailable)

    let second = HTTP2Server(
      services: [InteropTestService()], configuration: .init(port: port))
    try await second.start()
    // Calls fail fast during the back-off; retry (bounded) until the transport reconnects.
    try await withTimeout(.seconds(10)) {
      while true {
        do {
          _ = try await client.emptyCall(Grpc_Testing_Empty())
          return
        } catch let error as RPCError where error.code == .unavailable {
          try await Task.sleep(for: .milliseconds(20))
        }
      }
    }
    await transport.close()
    second.beginGracefulShutdown()
    try await withTimeout(.seconds(10)) { try await second.run() }
  }

  @Test func gracefulShutdownLetsCallsInFlightFinish() async throws {
    let loopback = try await Loopback.start()
    var request = Grpc_Testing_StreamingOutputCallRequest()
    request.responseParameters = (0..<5).map { _ in
      var parameters = Grpc_Testing_ResponseParameters()
      parameters.size = 10
      parameters.intervalUs = 50_000
      return parameters
    }
    let client = loopback.testService
    let firstArrived = Signal<Void>()
    let call = Task { [request] in
      try await client.streamingOutputCall(request) { responses in
        var count = 0
        for try await _ in responses {
          count += 1
          firstArrived.fire()
        }
        return count
      }
    }
    try await firstArrived.wait()
    loopback.server.beginGracefulShutdown()
    #expect(try await call.value == 5)
    try await withTimeout(.seconds(10)) { try await loopback.server.run() }
    await loopback.transport.close()
  }

  @Test func callsSurviveIdleGoAwaysWithoutErrors() async throws {
    let loopback = try await Loopback.start(
      configuration: HTTP2Server.Configuration(idleTimeout: .milliseconds(40)))
    let client = loopback.testService
    // Gaps longer than the idle timeout: the server sends its two-step GOAWAY between calls,
    // and each next call must find a usable connection without ever failing.
    for gap in [0, 60, 20, 80, 45, 100] {
      try await Task.sleep(for: .milliseconds(gap))
      _ = try await client.emptyCall(Grpc_Testing_Empty())
    }
    try await loopback.stop()
  }

  @Test func healthCheckOverLoopback() async throws {
    let loopback = try await Loopback.start()
    let health = Grpc_Health_V1_Health.Client(transport: loopback.transport)
    let response = try await health.check(Grpc_Health_V1_HealthCheckRequest())
    #expect(response.status == .serving)
    var unknown = Grpc_Health_V1_HealthCheckRequest()
    unknown.service = "nope"
    let error = await rpcError { [unknown] in _ = try await health.check(unknown) }
    #expect(error?.code == .notFound)
    try await loopback.stop()
  }
}

import Foundation
import Testing
import WirebankContracts
import WirebankProtobuf
import WirebankRPC

/// The gRPC interop cases (grpc/grpc `doc/interop-test-descriptions.md`) over the in-process
/// transport, with the generated `grpc.testing` messages and a hand-written `TestService`.
@Suite struct InProcessTransportTests {
  let transport = InProcessTransport(services: [InteropTestService()])
  typealias Methods = InteropTestService

  @Test func emptyUnary() async throws {
    let response: Grpc_Testing_Empty = try await transport.unary(
      Methods.emptyCall, request: Grpc_Testing_Empty(), options: CallOptions())
    #expect(response == Grpc_Testing_Empty())
  }

  @Test func largeUnary() async throws {
    var request = Grpc_Testing_SimpleRequest()
    request.responseSize = 314_159
    request.payload = payload(271_828)
    let response: Grpc_Testing_SimpleResponse = try await transport.unary(
      Methods.unaryCall, request: request, options: CallOptions())
    #expect(response.payload?.body.count == 314_159)
  }

  @Test func generatedClientCallsThroughTheTransport() async throws {
    let client = Grpc_Testing_TestService.Client(transport: transport)
    var request = Grpc_Testing_SimpleRequest()
    request.responseSize = 10
    let response = try await client.unaryCall(request)
    #expect(response.payload?.body.count == 10)
    let sizes = try await client.streamingOutputCall(streamingRequest([1, 2, 3])) { responses in
      var sizes: [Int] = []
      for try await response in responses { sizes.append(response.payload?.body.count ?? -1) }
      return sizes
    }
    #expect(sizes == [1, 2, 3])
  }

  @Test func clientStreaming() async throws {
    let response: Grpc_Testing_StreamingInputCallResponse = try await transport.clientStreaming(
      Methods.streamingInputCall, options: CallOptions()
    ) { writer in
      for size in [27182, 8, 1828, 45904] {
        var request = Grpc_Testing_StreamingInputCallRequest()
        request.payload = payload(size)
        try await writer.write(request)
      }
    }
    #expect(response.aggregatedPayloadSize == 74922)
  }

  @Test func serverStreaming() async throws {
    let sizes = [31415, 9, 2653, 58979]
    let received = try await transport.serverStreaming(
      Methods.streamingOutputCall, request: streamingRequest(sizes), options: CallOptions()
    ) { (responses: ResponseStream<Grpc_Testing_StreamingOutputCallResponse>) in
      var received: [Int] = []
      for try await response in responses { received.append(response.payload?.body.count ?? -1) }
      return received
    }
    #expect(received == sizes)
  }

  @Test func pingPong() async throws {
    let rounds = [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]
    let (pongs, pong) = AsyncStream.makeStream(of: Void.self)
    let received = try await transport.bidirectionalStreaming(
      Methods.fullDuplexCall, options: CallOptions(),
      requests: { (writer: RequestWriter<Grpc_Testing_StreamingOutputCallRequest>) in
        var iterator = pongs.makeAsyncIterator()
        for (responseSize, requestSize) in rounds {
          var request = streamingRequest([responseSize])
          request.payload = payload(requestSize)
          try await writer.write(request)
          guard await iterator.next() != nil else { return }
        }
      },
      responses: { (responses: ResponseStream<Grpc_Testing_StreamingOutputCallResponse>) in
        var received: [Int] = []
        for try await response in responses {
          received.append(response.payload?.body.count ?? -1)
          pong.yield()
        }
        return received
      })
    #expect(received == rounds.map(\.0))
  }

  @Test func emptyStream() async throws {
    let count = try await transport.bidirectionalStreaming(
      Methods.fullDuplexCall, options: CallOptions(),
      requests: { (_: RequestWriter<Grpc_Testing_StreamingOutputCallRequest>) in },
      responses: { (responses: ResponseStream<Grpc_Testing_StreamingOutputCallResponse>) in
        var count = 0
        for try await _ in responses { count += 1 }
        return count
      })
    #expect(count == 0)
  }

  @Test(arguments: [
    "test status message",
    "\t\ntest with whitespace\r\nand Unicode BMP \u{263A} and non-BMP \u{1F608}\t\n",
  ])
  func statusCodeAndMessage(message: String) async throws {
    var status = Grpc_Testing_EchoStatus()
    status.code = 2
    status.message = message
    var request = Grpc_Testing_SimpleRequest()
    request.responseStatus = status
    let unaryError = await rpcError {
      let _: Grpc_Testing_SimpleResponse = try await transport.unary(
        Methods.unaryCall, request: request, options: CallOptions())
    }
    #expect(unaryError?.code == .unknown)
    #expect(unaryError?.message == message)

    var echoing = Grpc_Testing_StreamingOutputCallRequest()
    echoing.responseStatus = status
    let streaming = echoing
    let streamingError = await rpcError {
      try await transport.bidirectionalStreaming(
        Methods.fullDuplexCall, options: CallOptions(),
        requests: { writer in try await writer.write(streaming) },
        responses: { (responses: ResponseStream<Grpc_Testing_StreamingOutputCallResponse>) in
          for try await _ in responses {}
        })
    }
    #expect(streamingError?.code == .unknown)
    #expect(streamingError?.message == message)
  }

  @Test func unimplementedMethod() async throws {
    let error = await rpcError {
      let _: Grpc_Testing_Empty = try await transport.unary(
        Methods.unimplementedCall, request: Grpc_Testing_Empty(), options: CallOptions())
    }
    #expect(error?.code == .unimplemented)
  }

  @Test func customMetadata() async throws {
    var metadata: Metadata = ["x-grpc-test-echo-initial": "test_initial_metadata_value"]
    try metadata.add("x-grpc-test-echo-trailing-bin", bytes: [0xAB, 0xAB, 0xAB])
    var request = Grpc_Testing_SimpleRequest()
    request.responseSize = 314_159
    request.payload = payload(271_828)
    let unary: ClientResponse<Grpc_Testing_SimpleResponse> =
      try await transport
      .unaryWithMetadata(
        Methods.unaryCall, request: request, options: CallOptions(metadata: metadata))
    #expect(unary.headers[string: "x-grpc-test-echo-initial"] == "test_initial_metadata_value")
    #expect(unary.trailers[binary: "x-grpc-test-echo-trailing-bin"] == [0xAB, 0xAB, 0xAB])

    let (headers, trailers) = try await transport.bidirectionalStreaming(
      Methods.fullDuplexCall, options: CallOptions(metadata: metadata),
      requests: { writer in try await writer.write(streamingRequest([314_159])) },
      responses: { (responses: ResponseStream<Grpc_Testing_StreamingOutputCallResponse>) in
        for try await _ in responses {}
        return (await responses.responseHeaders(), await responses.trailers())
      })
    #expect(headers[string: "x-grpc-test-echo-initial"] == "test_initial_metadata_value")
    #expect(trailers[binary: "x-grpc-test-echo-trailing-bin"] == [0xAB, 0xAB, 0xAB])
  }

  @Test func cancelAfterBegin() async throws {
    let begun = Signal<Void>()
    let call = Task {
      let _: Grpc_Testing_StreamingInputCallResponse = try await transport.clientStreaming(
        Methods.streamingInputCall, options: CallOptions()
      ) { (_: RequestWriter<Grpc_Testing_StreamingInputCallRequest>) in
        begun.fire()
        try await Task.sleep(for: .seconds(3600))
      }
    }
    try await begun.wait()
    call.cancel()
    let error = await rpcError { try await call.value }
    #expect(error?.code == .cancelled)
  }

  @Test func cancelAfterFirstResponse() async throws {
    let firstResponse = Signal<Void>()
    let call = Task {
      try await transport.bidirectionalStreaming(
        Methods.fullDuplexCall, options: CallOptions(),
        requests: { writer in
          var request = streamingRequest([31415])
          request.payload = payload(27182)
          try await writer.write(request)
          // Keep the request stream open, as the interop client does.
          try await Task.sleep(for: .seconds(3600))
        },
        responses: { (responses: ResponseStream<Grpc_Testing_StreamingOutputCallResponse>) in
          for try await _ in responses { firstResponse.fire() }
        })
    }
    try await firstResponse.wait()
    call.cancel()
    let error = await rpcError { try await call.value }
    #expect(error?.code == .cancelled)
  }

  @Test func timeoutOnSleepingServer() async throws {
    let error = await rpcError {
      try await transport.bidirectionalStreaming(
        Methods.fullDuplexCall, options: CallOptions(timeout: .milliseconds(1)),
        requests: { writer in
          var request = Grpc_Testing_StreamingOutputCallRequest()
          request.payload = payload(27182)
          try await writer.write(request)
          try await Task.sleep(for: .seconds(3600))
        },
        responses: { (responses: ResponseStream<Grpc_Testing_StreamingOutputCallResponse>) in
          for try await _ in responses {}
        })
    }
    #expect(error?.code == .deadlineExceeded)
  }

  @Test func clientCompressedUnary() async throws {
    var request = Grpc_Testing_SimpleRequest()
    var expect = Grpc_Testing_BoolValue()
    expect.value = true
    request.expectCompressed = expect
    request.responseSize = 314_159
    request.payload = payload(271_828)
    let probe = await rpcError {
      let _: Grpc_Testing_SimpleResponse = try await transport.unary(
        Methods.unaryCall, request: request, options: CallOptions())
    }
    #expect(probe?.code == .invalidArgument)
    let response: Grpc_Testing_SimpleResponse = try await transport.unary(
      Methods.unaryCall, request: request, options: CallOptions(compression: .gzip))
    #expect(response.payload?.body.count == 314_159)
  }
}

import FoundationEssentials
import WirebankContracts
import WirebankProtobuf
import WirebankRPC

/// The client side of the interop cases: each method is one case of grpc/grpc
/// `doc/interop-test-descriptions.md`, with that document's messages and assertions.
///
/// Cases that must see a message's compression flag use the transport's raw stream, since the
/// typed API hides the flag.
struct InteropClient {
  typealias Method = Grpc_Testing_TestService.Method

  let transport: any ClientTransport
  let probesCompressedRequests: Bool
  var client: Grpc_Testing_TestService.Client { .init(transport: transport) }

  static let specialMessage =
    "\t\ntest with whitespace\r\nand Unicode BMP \u{263A} and non-BMP \u{1F608}\t\n"

  func emptyUnary() async throws {
    _ = try await client.emptyCall(Grpc_Testing_Empty())
  }

  func largeUnary() async throws {
    let response = try await client.unaryCall(largeRequest())
    try expectPayload(response.payload, size: 314_159)
  }

  func clientCompressedUnary() async throws {
    var probe = largeRequest()
    probe.expectCompressed = boolValue(true)
    if probesCompressedRequests {
      let error = try await expectRPCError { _ = try await client.unaryCall(probe) }
      try expect(
        error.code == .invalidArgument,
        "the uncompressed probe should fail with INVALID_ARGUMENT, got \(error)")
    }
    let compressed = try await client.unaryCall(
      probe, options: CallOptions(compression: .gzip))
    try expectPayload(compressed.payload, size: 314_159)
    var plain = largeRequest()
    plain.expectCompressed = boolValue(false)
    let uncompressed = try await client.unaryCall(plain)
    try expectPayload(uncompressed.payload, size: 314_159)
  }

  func serverCompressedUnary() async throws {
    for compressed in [true, false] {
      var request = largeRequest()
      request.responseCompressed = boolValue(compressed)
      let (raw, status) = try await rawUnary(Method.unaryCall, request)
      try expect(status.code == .ok, "UnaryCall failed: \(status)")
      guard let raw else { throw InteropTestFailure("no response message") }
      try expect(
        raw.compressed == compressed,
        "response compressed flag is \(raw.compressed), expected \(compressed)")
      let response = try Grpc_Testing_SimpleResponse(serializedBytes: raw.bytes)
      try expectPayload(response.payload, size: 314_159)
    }
  }

  func clientStreaming() async throws {
    let sizes = [27_182, 8, 1_828, 45_904]
    let response = try await client.streamingInputCall { writer in
      for size in sizes {
        var request = Grpc_Testing_StreamingInputCallRequest()
        request.payload = InteropTestService.payload(size: size)
        try await writer.write(request)
      }
    }
    try expect(
      response.aggregatedPayloadSize == 74_922,
      "aggregated payload size \(response.aggregatedPayloadSize), expected 74922")
  }

  func clientCompressedStreaming() async throws {
    var probe = Grpc_Testing_StreamingInputCallRequest()
    probe.expectCompressed = boolValue(true)
    probe.payload = InteropTestService.payload(size: 27_182)
    if probesCompressedRequests {
      let error = try await expectRPCError {
        _ = try await client.streamingInputCall { [probe] writer in try await writer.write(probe) }
      }
      try expect(
        error.code == .invalidArgument,
        "the uncompressed probe should fail with INVALID_ARGUMENT, got \(error)")
    }
    var second = Grpc_Testing_StreamingInputCallRequest()
    second.expectCompressed = boolValue(false)
    second.payload = InteropTestService.payload(size: 45_904)
    let response = try await client.streamingInputCall(
      options: CallOptions(compression: .gzip)
    ) { [probe, second] writer in
      try await writer.write(probe, compressed: true)
      try await writer.write(second, compressed: false)
    }
    try expect(
      response.aggregatedPayloadSize == 73_086,
      "aggregated payload size \(response.aggregatedPayloadSize), expected 73086")
  }

  func serverStreaming() async throws {
    let sizes = [31_415, 9, 2_653, 58_979]
    let request = streamingRequest(sizes.map { ($0, nil) })
    let received = try await client.streamingOutputCall(request) { responses in
      var sizes: [Int] = []
      for try await response in responses { sizes.append(response.payload?.body.count ?? -1) }
      return sizes
    }
    try expect(received == sizes, "response sizes \(received), expected \(sizes)")
  }

  func serverCompressedStreaming() async throws {
    let request = streamingRequest([(31_415, true), (92_653, false)])
    let bytes = try request.serializedBytes()
    let (messages, status) = try await transport.withStream(
      Method.streamingOutputCall, options: CallOptions()
    ) { stream in
      try await stream.send(RawMessage(bytes))
      await stream.finish()
      var messages: [RawMessage] = []
      while let message = await stream.receive() { messages.append(message) }
      return (messages, await stream.status())
    }
    try expect(status.code == .ok, "StreamingOutputCall failed: \(status)")
    try expect(messages.count == 2, "\(messages.count) responses, expected 2")
    try expect(
      messages.map(\.compressed) == [true, false],
      "compressed flags \(messages.map(\.compressed)), expected [true, false]")
    let sizes = try messages.map {
      try Grpc_Testing_StreamingOutputCallResponse(serializedBytes: $0.bytes).payload?.body.count
    }
    try expect(sizes == [31_415, 92_653], "response sizes \(sizes), expected [31415, 92653]")
  }

  func pingPong() async throws {
    let steps = [(31_415, 27_182), (9, 8), (2_653, 1_828), (58_979, 45_904)]
    let status = try await transport.withStream(Method.fullDuplexCall, options: CallOptions()) {
      stream in
      for (responseSize, requestSize) in steps {
        var request = streamingRequest([(responseSize, nil)])
        request.payload = InteropTestService.payload(size: requestSize)
        try await stream.send(RawMessage(try request.serializedBytes()))
        guard let raw = await stream.receive() else {
          throw InteropTestFailure("no response to a ping: \(await stream.status())")
        }
        let response = try Grpc_Testing_StreamingOutputCallResponse(serializedBytes: raw.bytes)
        try expectPayload(response.payload, size: responseSize)
      }
      await stream.finish()
      if await stream.receive() != nil { throw InteropTestFailure("more than four responses") }
      return await stream.status()
    }
    try expect(status.code == .ok, "FullDuplexCall failed: \(status)")
  }

  func emptyStream() async throws {
    let count = try await client.fullDuplexCall { _ in } responses: { responses in
      var count = 0
      for try await _ in responses { count += 1 }
      return count
    }
    try expect(count == 0, "\(count) responses, expected none")
  }

  func customMetadata() async throws {
    let initialValue = "test_initial_metadata_value"
    let trailingValue: [UInt8] = [0xAB, 0xAB, 0xAB]
    var metadata = Metadata()
    try metadata.add(InteropTestService.echoInitialKey, initialValue)
    try metadata.add(InteropTestService.echoTrailingKey, bytes: trailingValue)
    let options = CallOptions(metadata: metadata)

    let unary: ClientResponse<Grpc_Testing_SimpleResponse> = try await transport.unaryWithMetadata(
      Method.unaryCall, request: largeRequest(), options: options)
    try checkEcho(headers: unary.headers, trailers: unary.trailers, initialValue, trailingValue)

    var request = streamingRequest([(314_159, nil)])
    request.payload = InteropTestService.payload(size: 271_828)
    let (headers, trailers) = try await client.fullDuplexCall(options: options) { [request] writer in
      try await writer.write(request)
    } responses: { responses in
      for try await _ in responses {}
      return (await responses.responseHeaders(), await responses.trailers())
    }
    try checkEcho(headers: headers, trailers: trailers, initialValue, trailingValue)
  }

  func statusCodeAndMessage() async throws {
    try await expectEchoedStatus(message: "test status message")
  }

  func specialStatusMessage() async throws {
    try await expectEchoedStatus(message: Self.specialMessage, unaryOnly: true)
  }

  func unimplementedMethod() async throws {
    let error = try await expectRPCError {
      _ = try await client.unimplementedCall(Grpc_Testing_Empty())
    }
    try expect(error.code == .unimplemented, "expected UNIMPLEMENTED, got \(error)")
  }

  func unimplementedService() async throws {
    let other = Grpc_Testing_UnimplementedService.Client(transport: transport)
    let error = try await expectRPCError {
      _ = try await other.unimplementedCall(Grpc_Testing_Empty())
    }
    try expect(error.code == .unimplemented, "expected UNIMPLEMENTED, got \(error)")
  }

  func cancelAfterBegin() async throws {
    let status = try await transport.withStream(
      Method.streamingInputCall, options: CallOptions()
    ) { stream in
      stream.cancel()
      return await stream.status()
    }
    try expect(status.code == .cancelled, "expected CANCELLED, got \(status)")
  }

  func cancelAfterFirstResponse() async throws {
    var request = streamingRequest([(31_415, nil)])
    request.payload = InteropTestService.payload(size: 27_182)
    let bytes = try request.serializedBytes()
    let status = try await transport.withStream(Method.fullDuplexCall, options: CallOptions()) {
      stream in
      try await stream.send(RawMessage(bytes))
      guard await stream.receive() != nil else {
        throw InteropTestFailure("no first response: \(await stream.status())")
      }
      stream.cancel()
      return await stream.status()
    }
    try expect(status.code == .cancelled, "expected CANCELLED, got \(status)")
  }

  func timeoutOnSleepingServer() async throws {
    var request = Grpc_Testing_StreamingOutputCallRequest()
    request.payload = InteropTestService.payload(size: 27_182)
    let error = try await expectRPCError {
      try await client.fullDuplexCall(options: CallOptions(timeout: .milliseconds(1))) {
        [request] writer in
        try? await writer.write(request)
        // No half-close: the server waits for more, so only the deadline ends the call.
        try await Task.sleep(for: .seconds(30))
      } responses: { responses in
        for try await _ in responses {}
      }
    }
    try expect(error.code == .deadlineExceeded, "expected DEADLINE_EXCEEDED, got \(error)")
  }
}

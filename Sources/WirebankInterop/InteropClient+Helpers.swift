import FoundationEssentials
import WirebankContracts
import WirebankProtobuf
import WirebankRPC

/// What the interop cases share: the payloads they send and the checks they make.
extension InteropClient {
  func largeRequest() -> Grpc_Testing_SimpleRequest {
    var request = Grpc_Testing_SimpleRequest()
    request.responseSize = 314_159
    request.payload = InteropTestService.payload(size: 271_828)
    return request
  }

  func streamingRequest(_ parameters: [(size: Int, compressed: Bool?)])
    -> Grpc_Testing_StreamingOutputCallRequest
  {
    var request = Grpc_Testing_StreamingOutputCallRequest()
    request.responseParameters = parameters.map { size, compressed in
      var parameters = Grpc_Testing_ResponseParameters()
      parameters.size = Int32(size)
      parameters.compressed = compressed.map(boolValue)
      return parameters
    }
    return request
  }

  func boolValue(_ value: Bool) -> Grpc_Testing_BoolValue {
    var wrapped = Grpc_Testing_BoolValue()
    wrapped.value = value
    return wrapped
  }

  func expectPayload(_ payload: Grpc_Testing_Payload?, size: Int) throws {
    guard let body = payload?.body else { throw InteropTestFailure("no payload") }
    try expect(body.count == size, "payload of \(body.count) bytes, expected \(size)")
    try expect(body.allSatisfy { $0 == 0 }, "payload is not all zeros")
  }

  func rawUnary(_ method: MethodDescriptor, _ request: some ProtobufMessage)
    async throws -> (RawMessage?, RPCStatus)
  {
    let bytes = try request.serializedBytes()
    return try await transport.withStream(method, options: CallOptions()) { stream in
      try await stream.send(RawMessage(bytes))
      await stream.finish()
      let message = await stream.receive()
      while await stream.receive() != nil {}
      return (message, await stream.status())
    }
  }

  func checkEcho(
    headers: Metadata, trailers: Metadata, _ initial: String, _ trailing: [UInt8]
  ) throws {
    try expect(
      headers[string: InteropTestService.echoInitialKey] == initial,
      "initial metadata \(headers), expected \(InteropTestService.echoInitialKey): \(initial)")
    try expect(
      trailers[binary: InteropTestService.echoTrailingKey] == trailing,
      "trailing metadata \(trailers), expected \(InteropTestService.echoTrailingKey)")
  }

  func expectEchoedStatus(message: String, unaryOnly: Bool = false) async throws {
    var status = Grpc_Testing_EchoStatus()
    status.code = 2
    status.message = message
    var unary = Grpc_Testing_SimpleRequest()
    unary.responseStatus = status
    let unaryError = try await expectRPCError { _ = try await client.unaryCall(unary) }
    try expect(
      unaryError.code == .unknown && unaryError.message == message,
      "UnaryCall ended \(unaryError.code) \(unaryError.message.debugDescription), expected UNKNOWN \(message.debugDescription)")
    guard !unaryOnly else { return }
    var streaming = Grpc_Testing_StreamingOutputCallRequest()
    streaming.responseStatus = status
    let streamError = try await expectRPCError {
      try await client.fullDuplexCall { [streaming] writer in
        try await writer.write(streaming)
      } responses: { responses in
        for try await _ in responses {}
      }
    }
    try expect(
      streamError.code == .unknown && streamError.message == message,
      "FullDuplexCall ended \(streamError.code) \(streamError.message.debugDescription), expected UNKNOWN \(message.debugDescription)")
  }
}

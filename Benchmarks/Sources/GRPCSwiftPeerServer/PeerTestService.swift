import FoundationEssentials
import GRPCCore

/// `grpc.testing.TestService` on grpc-swift-2, answering the way Wirebank's `InteropTestService`
/// does for the calls the benchmark makes: payloads of zeros of the asked sizes, uncompressed.
/// The other methods work too (so the service is the whole TestService), but the benchmark does
/// not time them.
struct PeerTestService: Grpc_Testing_TestService.SimpleServiceProtocol {
  func emptyCall(request: Grpc_Testing_Empty, context: ServerContext) async throws
    -> Grpc_Testing_Empty
  {
    Grpc_Testing_Empty()
  }

  func unaryCall(request: Grpc_Testing_SimpleRequest, context: ServerContext) async throws
    -> Grpc_Testing_SimpleResponse
  {
    try Self.throwIfAsked(request.responseStatus, present: request.hasResponseStatus)
    var response = Grpc_Testing_SimpleResponse()
    response.payload = Self.payload(size: Int(request.responseSize))
    return response
  }

  func cacheableUnaryCall(request: Grpc_Testing_SimpleRequest, context: ServerContext)
    async throws -> Grpc_Testing_SimpleResponse
  {
    var response = Grpc_Testing_SimpleResponse()
    var payload = Grpc_Testing_Payload()
    payload.body = Data(String(UInt64(Date.now.timeIntervalSince1970 * 1e9)).utf8)
    response.payload = payload
    return response
  }

  func streamingOutputCall(
    request: Grpc_Testing_StreamingOutputCallRequest,
    response: RPCWriter<Grpc_Testing_StreamingOutputCallResponse>, context: ServerContext
  ) async throws {
    try await Self.respond(to: request, with: response)
  }

  func streamingInputCall(
    request: RPCAsyncSequence<Grpc_Testing_StreamingInputCallRequest, any Error>,
    context: ServerContext
  ) async throws -> Grpc_Testing_StreamingInputCallResponse {
    var total = 0
    for try await message in request { total += message.payload.body.count }
    var response = Grpc_Testing_StreamingInputCallResponse()
    response.aggregatedPayloadSize = Int32(clamping: total)
    return response
  }

  func fullDuplexCall(
    request: RPCAsyncSequence<Grpc_Testing_StreamingOutputCallRequest, any Error>,
    response: RPCWriter<Grpc_Testing_StreamingOutputCallResponse>, context: ServerContext
  ) async throws {
    for try await message in request { try await Self.respond(to: message, with: response) }
  }

  func halfDuplexCall(
    request: RPCAsyncSequence<Grpc_Testing_StreamingOutputCallRequest, any Error>,
    response: RPCWriter<Grpc_Testing_StreamingOutputCallResponse>, context: ServerContext
  ) async throws {
    var buffered: [Grpc_Testing_StreamingOutputCallRequest] = []
    for try await message in request { buffered.append(message) }
    for message in buffered { try await Self.respond(to: message, with: response) }
  }

  func unimplementedCall(request: Grpc_Testing_Empty, context: ServerContext) async throws
    -> Grpc_Testing_Empty
  {
    throw RPCError(code: .unimplemented, message: "UnimplementedCall is not implemented, by design")
  }

  // MARK: Helpers

  /// A payload of `size` zero bytes (as Wirebank's `InteropTestService.payload(size:)`).
  static func payload(size: Int) -> Grpc_Testing_Payload {
    var payload = Grpc_Testing_Payload()
    payload.body = Data(count: max(size, 0))
    return payload
  }

  /// One response per `ResponseParameters`, observing `interval_us`.
  static func respond(
    to request: Grpc_Testing_StreamingOutputCallRequest,
    with writer: RPCWriter<Grpc_Testing_StreamingOutputCallResponse>
  ) async throws {
    try throwIfAsked(request.responseStatus, present: request.hasResponseStatus)
    for parameters in request.responseParameters {
      if parameters.intervalUs > 0 {
        try await Task.sleep(for: .microseconds(Int(parameters.intervalUs)))
      }
      var response = Grpc_Testing_StreamingOutputCallResponse()
      response.payload = payload(size: Int(parameters.size))
      try await writer.write(response)
    }
  }

  /// Throws the status the client asked for with `response_status`, if any.
  static func throwIfAsked(_ status: Grpc_Testing_EchoStatus, present: Bool) throws {
    guard present, status.code != 0 else { return }
    throw RPCError(
      code: RPCError.Code(Status.Code(rawValue: Int(status.code)) ?? .unknown) ?? .unknown,
      message: status.message)
  }
}

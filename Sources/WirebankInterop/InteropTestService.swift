import FoundationEssentials
import WirebankContracts
import WirebankRPC

/// `grpc.testing.TestService` as grpc/grpc `doc/interop-test-descriptions.md` specifies the
/// server: payloads of zeros of the asked sizes, echoed metadata and status, compressed
/// requests checked and compressed responses on request.
public struct InteropTestService: Grpc_Testing_TestService.ServiceProtocol {
  /// The metadata key echoed in the response headers.
  public static let echoInitialKey = "x-grpc-test-echo-initial"
  /// The binary metadata key echoed in the trailers.
  public static let echoTrailingKey = "x-grpc-test-echo-trailing-bin"

  /// A test service.
  public init() {}

  public func emptyCall(_ request: Grpc_Testing_Empty, context: ServerContext) async throws
    -> Grpc_Testing_Empty
  {
    Self.echoMetadata(context)
    return Grpc_Testing_Empty()
  }

  public func unaryCall(_ request: Grpc_Testing_SimpleRequest, context: ServerContext)
    async throws -> Grpc_Testing_SimpleResponse
  {
    Self.echoMetadata(context)
    if let expected = request.expectCompressed?.value,
      expected != context.lastRequestWasCompressed
    {
      throw RPCError(
        .invalidArgument,
        expected ? "expected a compressed request" : "expected an uncompressed request")
    }
    try Self.throwIfAsked(request.responseStatus)
    if let compressed = request.responseCompressed?.value {
      context.compressesResponses = compressed
    }
    var response = Grpc_Testing_SimpleResponse()
    response.payload = Self.payload(size: Int(request.responseSize))
    return response
  }

  public func cacheableUnaryCall(_ request: Grpc_Testing_SimpleRequest, context: ServerContext)
    async throws -> Grpc_Testing_SimpleResponse
  {
    var response = Grpc_Testing_SimpleResponse()
    var payload = Grpc_Testing_Payload()
    // The current time in nanoseconds, so that every response differs.
    let nanoseconds = Int64(Date.now.timeIntervalSince1970 * 1_000_000_000)
    payload.body = Data(String(nanoseconds).utf8)
    response.payload = payload
    return response
  }

  public func streamingOutputCall(
    _ request: Grpc_Testing_StreamingOutputCallRequest,
    responses: ResponseWriter<Grpc_Testing_StreamingOutputCallResponse>, context: ServerContext
  ) async throws {
    Self.echoMetadata(context)
    try await Self.respond(to: request, with: responses)
  }

  public func streamingInputCall(
    _ requests: RequestStream<Grpc_Testing_StreamingInputCallRequest>, context: ServerContext
  ) async throws -> Grpc_Testing_StreamingInputCallResponse {
    Self.echoMetadata(context)
    var total = 0
    for try await request in requests {
      if let expected = request.expectCompressed?.value,
        expected != context.lastRequestWasCompressed
      {
        throw RPCError(
          .invalidArgument,
          expected ? "expected a compressed request" : "expected an uncompressed request")
      }
      total += request.payload?.body.count ?? 0
    }
    var response = Grpc_Testing_StreamingInputCallResponse()
    response.aggregatedPayloadSize = Int32(clamping: total)
    return response
  }

  public func fullDuplexCall(
    _ requests: RequestStream<Grpc_Testing_StreamingOutputCallRequest>,
    responses: ResponseWriter<Grpc_Testing_StreamingOutputCallResponse>, context: ServerContext
  ) async throws {
    Self.echoMetadata(context)
    for try await request in requests {
      try await Self.respond(to: request, with: responses)
    }
  }

  public func halfDuplexCall(
    _ requests: RequestStream<Grpc_Testing_StreamingOutputCallRequest>,
    responses: ResponseWriter<Grpc_Testing_StreamingOutputCallResponse>, context: ServerContext
  ) async throws {
    Self.echoMetadata(context)
    var buffered: [Grpc_Testing_StreamingOutputCallRequest] = []
    for try await request in requests { buffered.append(request) }
    for request in buffered { try await Self.respond(to: request, with: responses) }
  }

  public func unimplementedCall(_ request: Grpc_Testing_Empty, context: ServerContext)
    async throws -> Grpc_Testing_Empty
  {
    throw RPCError(.unimplemented, "UnimplementedCall is not implemented, by design")
  }

  // MARK: Helpers

  /// A payload of `size` zero bytes.
  public static func payload(size: Int) -> Grpc_Testing_Payload {
    var payload = Grpc_Testing_Payload()
    payload.body = Data(count: max(size, 0))
    return payload
  }

  /// Writes one response per `ResponseParameters`, observing `interval_us` and `compressed`.
  static func respond(
    to request: Grpc_Testing_StreamingOutputCallRequest,
    with writer: ResponseWriter<Grpc_Testing_StreamingOutputCallResponse>
  ) async throws {
    try throwIfAsked(request.responseStatus)
    for parameters in request.responseParameters {
      if parameters.intervalUs > 0 {
        try await Task.sleep(for: .microseconds(Int(parameters.intervalUs)))
      }
      var response = Grpc_Testing_StreamingOutputCallResponse()
      response.payload = payload(size: Int(parameters.size))
      if let compressed = parameters.compressed?.value {
        try await writer.write(response, compressed: compressed)
      } else {
        try await writer.write(response)
      }
    }
  }

  /// Throws the status the client asked for with `response_status`, if any.
  static func throwIfAsked(_ status: Grpc_Testing_EchoStatus?) throws {
    guard let status, status.code != 0 else { return }
    throw RPCError(StatusCode(rawValue: Int(status.code)) ?? .unknown, status.message)
  }

  /// Echoes the interop metadata keys: the initial one in headers, the binary one in trailers.
  static func echoMetadata(_ context: ServerContext) {
    if let initial = context.metadata[echoInitialKey] {
      try? context.responseHeaders.add(echoInitialKey, initial)
    }
    if let trailing = context.metadata[echoTrailingKey] {
      try? context.responseTrailers.add(echoTrailingKey, trailing)
    }
  }
}

import Foundation
import WirebankContracts
import WirebankRPC

func payload(_ size: Int) -> Grpc_Testing_Payload {
  var payload = Grpc_Testing_Payload()
  payload.body = Data(count: size)
  return payload
}

func streamingRequest(_ sizes: [Int]) -> Grpc_Testing_StreamingOutputCallRequest {
  var request = Grpc_Testing_StreamingOutputCallRequest()
  request.responseParameters = sizes.map { size in
    var parameters = Grpc_Testing_ResponseParameters()
    parameters.size = Int32(size)
    return parameters
  }
  return request
}

/// `grpc.testing.TestService` as the interop server implements it (the parts tested here).
struct InteropTestService: RegistrableService {
  static let name = "grpc.testing.TestService"
  static let emptyCall = MethodDescriptor(service: name, method: "EmptyCall", kind: .unary)
  static let unaryCall = MethodDescriptor(service: name, method: "UnaryCall", kind: .unary)
  static let streamingOutputCall = MethodDescriptor(
    service: name, method: "StreamingOutputCall", kind: .serverStreaming)
  static let streamingInputCall = MethodDescriptor(
    service: name, method: "StreamingInputCall", kind: .clientStreaming)
  static let fullDuplexCall = MethodDescriptor(
    service: name, method: "FullDuplexCall", kind: .bidirectionalStreaming)
  static let unimplementedCall = MethodDescriptor(
    service: name, method: "UnimplementedCall", kind: .unary)

  var methodHandlers: [MethodHandler] {
    [
      .unary(Self.emptyCall) { (_: Grpc_Testing_Empty, context) in
        Self.echoMetadata(context)
        return Grpc_Testing_Empty()
      },
      .unary(Self.unaryCall) { (request: Grpc_Testing_SimpleRequest, context) in
        Self.echoMetadata(context)
        if let expect = request.expectCompressed, expect.value != context.lastRequestWasCompressed {
          throw RPCError(.invalidArgument, "expected a compressed request")
        }
        try Self.throwIfAsked(request.responseStatus)
        var response = Grpc_Testing_SimpleResponse()
        response.payload = payload(Int(request.responseSize))
        return response
      },
      .serverStreaming(Self.streamingOutputCall) {
        (request: Grpc_Testing_StreamingOutputCallRequest, writer, context) in
        Self.echoMetadata(context)
        try await Self.respond(to: request, with: writer)
      },
      .clientStreaming(Self.streamingInputCall) {
        (requests: RequestStream<Grpc_Testing_StreamingInputCallRequest>, context) in
        Self.echoMetadata(context)
        var total = 0
        for try await request in requests { total += request.payload?.body.count ?? 0 }
        var response = Grpc_Testing_StreamingInputCallResponse()
        response.aggregatedPayloadSize = Int32(total)
        return response
      },
      .bidirectionalStreaming(Self.fullDuplexCall) {
        (requests: RequestStream<Grpc_Testing_StreamingOutputCallRequest>, writer, context) in
        Self.echoMetadata(context)
        for try await request in requests { try await Self.respond(to: request, with: writer) }
      },
    ]
  }

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
      response.payload = payload(Int(parameters.size))
      try await writer.write(response)
    }
  }

  static func throwIfAsked(_ status: Grpc_Testing_EchoStatus?) throws {
    guard let status, status.code != 0 else { return }
    throw RPCError(StatusCode(rawValue: Int(status.code)) ?? .unknown, status.message)
  }

  static func echoMetadata(_ context: ServerContext) {
    if let initial = context.metadata["x-grpc-test-echo-initial"] {
      try? context.responseHeaders.add("x-grpc-test-echo-initial", initial)
    }
    if let trailing = context.metadata["x-grpc-test-echo-trailing-bin"] {
      try? context.responseTrailers.add("x-grpc-test-echo-trailing-bin", trailing)
    }
  }
}

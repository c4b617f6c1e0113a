import WirebankRPC

/// The interop test cases of grpc/grpc `doc/interop-test-descriptions.md` that need no TLS,
/// credentials or proxies, named as on the command line of every gRPC interop client.
public enum InteropTestCase: String, CaseIterable, Sendable {
  case emptyUnary = "empty_unary"
  case largeUnary = "large_unary"
  case clientCompressedUnary = "client_compressed_unary"
  case serverCompressedUnary = "server_compressed_unary"
  case clientStreaming = "client_streaming"
  case clientCompressedStreaming = "client_compressed_streaming"
  case serverStreaming = "server_streaming"
  case serverCompressedStreaming = "server_compressed_streaming"
  case pingPong = "ping_pong"
  case emptyStream = "empty_stream"
  case customMetadata = "custom_metadata"
  case statusCodeAndMessage = "status_code_and_message"
  case specialStatusMessage = "special_status_message"
  case unimplementedMethod = "unimplemented_method"
  case unimplementedService = "unimplemented_service"
  case cancelAfterBegin = "cancel_after_begin"
  case cancelAfterFirstResponse = "cancel_after_first_response"
  case timeoutOnSleepingServer = "timeout_on_sleeping_server"

  /// The case's name, as in `large_unary`.
  public var name: String { rawValue }

  /// Runs the case against the server behind `transport`.
  /// - Parameter probeCompressedRequests: whether the client-compression cases first check
  ///   that the server refuses an uncompressed request flagged `expect_compressed` (turn it off
  ///   for servers, like grpcio's, whose API cannot see a request's compression).
  /// - Throws: `InteropTestFailure` when an assertion fails, or the unexpected error.
  public func run(using transport: any ClientTransport, probeCompressedRequests: Bool = true)
    async throws
  {
    let runner = InteropClient(transport: transport, probesCompressedRequests: probeCompressedRequests)
    switch self {
    case .emptyUnary: try await runner.emptyUnary()
    case .largeUnary: try await runner.largeUnary()
    case .clientCompressedUnary: try await runner.clientCompressedUnary()
    case .serverCompressedUnary: try await runner.serverCompressedUnary()
    case .clientStreaming: try await runner.clientStreaming()
    case .clientCompressedStreaming: try await runner.clientCompressedStreaming()
    case .serverStreaming: try await runner.serverStreaming()
    case .serverCompressedStreaming: try await runner.serverCompressedStreaming()
    case .pingPong: try await runner.pingPong()
    case .emptyStream: try await runner.emptyStream()
    case .customMetadata: try await runner.customMetadata()
    case .statusCodeAndMessage: try await runner.statusCodeAndMessage()
    case .specialStatusMessage: try await runner.specialStatusMessage()
    case .unimplementedMethod: try await runner.unimplementedMethod()
    case .unimplementedService: try await runner.unimplementedService()
    case .cancelAfterBegin: try await runner.cancelAfterBegin()
    case .cancelAfterFirstResponse: try await runner.cancelAfterFirstResponse()
    case .timeoutOnSleepingServer: try await runner.timeoutOnSleepingServer()
    }
  }
}

/// An interop assertion that did not hold.
public struct InteropTestFailure: Error, CustomStringConvertible {
  /// What was expected and what happened.
  public var description: String

  /// A failure described by `description`.
  public init(_ description: String) {
    self.description = description
  }
}

/// Fails with `message` unless `condition` holds.
func expect(
  _ condition: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String
) throws {
  guard try condition() else { throw InteropTestFailure(message()) }
}

/// Runs `body` and returns the `RPCError` it throws; fails if it throws nothing or another.
func expectRPCError(_ body: () async throws -> Void) async throws -> RPCError {
  do {
    try await body()
  } catch let error as RPCError {
    return error
  }
  throw InteropTestFailure("the call succeeded; an error status was expected")
}

import Synchronization
import Testing
import WirebankContracts
import WirebankProtobuf
import WirebankRPC

/// Server interceptors run around every call of a router; client interceptors around every call
/// through a transport.
@Suite struct InterceptorTests {
  /// Refuses calls without the right token: a server-side authentication check.
  struct RequireToken: ServerInterceptor {
    func intercept(
      _ call: any ServerCall, next: @Sendable (any ServerCall) async throws -> Void
    ) async throws {
      guard call.context.metadata[string: "authorization"] == "Bearer s3cret" else {
        throw RPCError(.unauthenticated, "missing or wrong token")
      }
      try await next(call)
    }
  }

  /// What the interceptors saw, in order.
  final class Log: Sendable {
    private let entries = Mutex<[String]>([])
    func append(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
  }

  /// Records the order in which interceptors ran and the messages a call carried.
  struct Recorder: ServerInterceptor {
    let name: String
    let log: Log

    init(_ name: String, log: Log) {
      self.name = name
      self.log = log
    }

    func intercept(
      _ call: any ServerCall, next: @Sendable (any ServerCall) async throws -> Void
    ) async throws {
      log.append("\(name) before \(call.context.method.method)")
      try await next(CountingCall(base: call, log: log))
      log.append("\(name) after")
    }
  }

  /// A call wrapper that logs every message in and out.
  struct CountingCall: ServerCall {
    let base: any ServerCall
    let log: Log
    var context: ServerContext { base.context }

    func receive() async throws -> RawMessage? {
      let message = try await base.receive()
      if let message { log.append("in \(message.bytes.count)") }
      return message
    }

    func send(_ message: RawMessage) async throws {
      log.append("out \(message.bytes.count)")
      try await base.send(message)
    }
  }

  /// Adds credentials to every call: a client-side interceptor.
  struct AddToken: ClientInterceptor {
    func intercept<Result: Sendable>(
      _ method: MethodDescriptor, options: CallOptions,
      next: @Sendable (CallOptions) async throws -> Result
    ) async throws -> Result {
      var options = options
      try options.metadata.replace("authorization", "Bearer s3cret")
      return try await next(options)
    }
  }

  static func echo(_ size: Int32) -> Grpc_Testing_SimpleRequest {
    var request = Grpc_Testing_SimpleRequest()
    request.responseSize = size
    return request
  }

  @Test func serverInterceptorRefusesAndClientInterceptorAuthenticates() async throws {
    let router = MethodRouter(services: [InteropTestService()], interceptors: [RequireToken()])
    let plain = InProcessTransport(router: router)
    do {
      let _: Grpc_Testing_SimpleResponse = try await plain.unary(
        InteropTestService.unaryCall, request: Self.echo(3), options: CallOptions())
      Issue.record("an unauthenticated call went through")
    } catch let error as RPCError {
      #expect(error.code == .unauthenticated)
    }
    let authenticated = plain.intercepted(by: [AddToken()])
    let response: Grpc_Testing_SimpleResponse = try await authenticated.unary(
      InteropTestService.unaryCall, request: Self.echo(3), options: CallOptions())
    #expect(response.payload?.body.count == 3)
  }

  @Test func interceptorsNestInOrderAndSeeEveryMessage() async throws {
    let log = Log()
    let router = MethodRouter(
      services: [InteropTestService()],
      interceptors: [Recorder("outer", log: log), Recorder("inner", log: log)])
    let transport = InProcessTransport(router: router)
    let request = Self.echo(5)
    let _: Grpc_Testing_SimpleResponse = try await transport.unary(
      InteropTestService.unaryCall, request: request, options: CallOptions())
    let requestSize = try request.serializedBytes().count
    let entries = log.all
    #expect(entries.first == "outer before UnaryCall")
    #expect(entries[1] == "inner before UnaryCall")
    #expect(entries.suffix(2) == ["inner after", "outer after"])
    // Each wrapper saw the request and the response (an inner wrapper's view is logged too).
    #expect(entries.filter { $0 == "in \(requestSize)" }.count == 2)
    #expect(entries.filter { $0.hasPrefix("out ") }.count == 2)
  }
}

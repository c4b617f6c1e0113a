@_exported import TestSupport
import Synchronization
import Testing
import WirebankContracts
import WirebankHTTP2
import WirebankInterop
import WirebankRPC

/// The error `body` throws, as an `RPCError` (recording an issue if it throws none or another).
func rpcError(_ body: () async throws -> Void) async -> RPCError? {
  do {
    try await body()
    Issue.record("expected an RPCError, nothing was thrown")
  } catch let error as RPCError {
    return error
  } catch {
    Issue.record("expected an RPCError, got \(error)")
  }
  return nil
}

/// Methods that let tests watch the server side of a call.
final class ProbeService: RegistrableService, Sendable {
  static let hang = MethodDescriptor(
    service: "wirebank.test.Probe", method: "Hang", kind: .serverStreaming)
  static let peer = MethodDescriptor(service: "wirebank.test.Probe", method: "Peer", kind: .unary)
  static let slow = MethodDescriptor(service: "wirebank.test.Probe", method: "Slow", kind: .unary)
  static let fail = MethodDescriptor(service: "wirebank.test.Probe", method: "Fail", kind: .unary)
  static let details = MethodDescriptor(
    service: "wirebank.test.Probe", method: "Details", kind: .unary)

  let hangStarted = Signal<Void>()
  let hangCancelled = Signal<Void>()
  private let concurrency = Mutex((current: 0, peak: 0))

  var peakConcurrency: Int { concurrency.withLock { $0.peak } }

  var methodHandlers: [MethodHandler] {
    [
      .serverStreaming(Self.hang) {
        (_: Grpc_Testing_Empty, _: ResponseWriter<Grpc_Testing_Empty>, _) in
        self.hangStarted.fire()
        do {
          try await Task.sleep(for: .seconds(60))
        } catch {
          self.hangCancelled.fire()
          throw error
        }
      },
      .unary(Self.peer) { (_: Grpc_Testing_Empty, context) in
        try context.responseHeaders.add("x-peer", context.peer)
        try context.responseHeaders.add("x-has-deadline", context.deadline == nil ? "no" : "yes")
        try context.responseHeaders.add("x-echo", context.metadata[string: "x-echo"] ?? "")
        return Grpc_Testing_Empty()
      },
      .unary(Self.slow) { (_: Grpc_Testing_Empty, _) in
        self.concurrency.withLock {
          $0.current += 1
          $0.peak = max($0.peak, $0.current)
        }
        defer { self.concurrency.withLock { $0.current -= 1 } }
        try await Task.sleep(for: .milliseconds(30))
        return Grpc_Testing_Empty()
      },
      .unary(Self.details) { (_: Grpc_Testing_Empty, _) -> Grpc_Testing_Empty in
        var trailers = Metadata()
        try trailers.add(Metadata.statusDetailsKey, bytes: [0x08, 0x03, 0x12, 0x01, 0x78])
        throw RPCError(code: .invalidArgument, message: "bad", metadata: trailers)
      },
      .unary(Self.fail) { (_: Grpc_Testing_Empty, _) -> Grpc_Testing_Empty in
        struct Secret: Error {}
        throw Secret()
      },
    ]
  }
}

/// A server on a free loopback port with the interop and probe services, and a client of it.
struct Loopback {
  let server: HTTP2Server
  let transport: HTTP2ClientTransport
  let probe: ProbeService

  var testService: Grpc_Testing_TestService.Client { .init(transport: transport) }

  static func start(
    configuration: HTTP2Server.Configuration = HTTP2Server.Configuration(),
    client: ((Int) -> HTTP2ClientTransport.Configuration)? = nil
  ) async throws -> Loopback {
    let probe = ProbeService()
    let server = HTTP2Server(
      services: [InteropTestService(), HealthService(), probe], configuration: configuration)
    try await server.start()
    let port = try #require(server.port)
    let clientConfiguration =
      client?(port) ?? HTTP2ClientTransport.Configuration(host: "127.0.0.1", port: port)
    return Loopback(
      server: server, transport: HTTP2ClientTransport(configuration: clientConfiguration),
      probe: probe)
  }

  /// Closes the client and shuts the server down, waiting for both (bounded).
  func stop() async throws {
    try await withTimeout(.seconds(15)) {
      await transport.close()
      server.beginGracefulShutdown()
      try await server.run()
    }
  }
}

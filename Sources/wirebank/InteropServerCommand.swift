import ArgumentParser
import Logging
import ServiceLifecycle
import WirebankHTTP2
import WirebankInterop

/// `wirebank interop-server`: `grpc.testing.TestService` and `grpc.health.v1.Health` on one
/// port, until SIGTERM or SIGINT (then a graceful shutdown).
struct InteropServerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "interop-server",
    abstract: "Serve grpc.testing.TestService for the gRPC interop tests.")

  @Option(name: [.customLong("port")], help: "The port to listen on (0 picks a free one).")
  var port: Int = 10000

  @Option(name: [.customLong("host")], help: "The address to bind.")
  var host: String = "0.0.0.0"

  @Option(name: [.customLong("use_tls"), .customLong("use-tls")], help: "Must be false.")
  var useTLS: Bool = false

  @OptionGroup var limits: ServerLimitOptions

  func run() async throws {
    guard !useTLS else { throw ValidationError("TLS is not supported") }
    let logger = CommandLogging.logger(label: "wirebank.interop-server")
    let health = HealthService()
    health.setStatus(.serving, forService: "grpc.testing.TestService")
    let server = HTTP2Server(
      services: [InteropTestService(), health],
      configuration: limits.apply(to: HTTP2Server.Configuration(host: host, port: port, logger: logger)))
    try await server.start()
    // One line on stdout that scripts can wait for and parse.
    Console.line("interop-server listening on port \(server.port ?? port)")
    try await ServiceRunner.run(
      [GRPCServerService(server: server, health: health)], logger: logger)
  }
}

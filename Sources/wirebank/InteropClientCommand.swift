import ArgumentParser
import WirebankHTTP2
import WirebankInterop

/// `wirebank interop-client`: runs interop test cases against a TestService server and
/// prints one line per case; exits non-zero if any failed.
struct InteropClientCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "interop-client",
    abstract: "Run gRPC interop test cases against a grpc.testing.TestService server.")

  @Option(name: [.customLong("server-host"), .customLong("server_host")], help: "The server's host.")
  var serverHost: String = "127.0.0.1"

  @Option(name: [.customLong("server-port"), .customLong("server_port")], help: "The server's port.")
  var serverPort: Int

  @Option(
    name: [.customLong("test-case"), .customLong("test_case")],
    help: "A case name (as in large_unary), a comma-separated list, or all.")
  var testCase: String = "all"

  @Option(name: [.customLong("use_tls"), .customLong("use-tls")], help: "Must be false.")
  var useTLS: Bool = false

  @Flag(
    name: .customLong("no-compression-probe"),
    help: "Skip the client-compression probes (for servers that cannot see request compression).")
  var noCompressionProbe = false

  func validate() throws {
    guard !useTLS else { throw ValidationError("TLS is not supported") }
    _ = try selectedCases()
  }

  func run() async throws {
    let transport = HTTP2ClientTransport(host: serverHost, port: serverPort)
    var failed = 0
    for testCase in try selectedCases() {
      let started = ContinuousClock.now
      do {
        try await testCase.run(using: transport, probeCompressedRequests: !noCompressionProbe)
        Console.line("PASS \(testCase.name) (\(elapsed(since: started)))")
      } catch {
        failed += 1
        Console.line("FAIL \(testCase.name): \(error)")
      }
    }
    await transport.close()
    if failed > 0 { throw ExitCode(1) }
  }

  private func selectedCases() throws -> [InteropTestCase] {
    if testCase == "all" { return InteropTestCase.allCases }
    return try testCase.split(separator: ",").map { name in
      guard let found = InteropTestCase(rawValue: String(name)) else {
        throw ValidationError(
          "unknown test case \(name); known: \(InteropTestCase.allCases.map(\.name).joined(separator: ", "))")
      }
      return found
    }
  }

  private func elapsed(since start: ContinuousClock.Instant) -> String {
    let duration = ContinuousClock.now - start
    let milliseconds = Double(duration.components.seconds) * 1000
      + Double(duration.components.attoseconds) / 1e15
    return "\(Int(milliseconds.rounded())) ms"
  }
}

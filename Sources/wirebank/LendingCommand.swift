import ArgumentParser
import NIOCore
import NIOPosix
import WirebankContracts
import WirebankHTTP2
import WirebankHost
import WirebankRPC

/// `wirebank lending …`: the external calls of Lending, against a running `wirebank up` (or
/// `serve`), with human-readable output.
struct LendingCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lending",
    abstract: "Submit, inspect, list and cancel loan applications on a running Lending.",
    subcommands: [
      LendingSubmitCommand.self, LendingGetCommand.self, LendingListCommand.self,
      LendingCancelCommand.self, LendingLoadCommand.self,
    ])
}

/// Where the client commands find the services.
struct LendingEndpointOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Origination's address.", valueName: "host:port"))
  var origination = "127.0.0.1:\(LendingService.defaultBasePort)"

  @Option(
    help: ArgumentHelp(
      "The Product Engine's address, for agreements and schedules "
        + "(default: Origination's port + 2, as `wirebank up` lays them out).",
      valueName: "host:port"))
  var productEngine: String?

  func validate() throws {
    do {
      _ = try originationAddress()
      _ = try productEngineAddress()
    } catch let error as PeerAddressError {
      throw ValidationError(error.description)
    }
  }

  func originationAddress() throws -> PeerAddress { try PeerAddress(parsing: origination) }

  func productEngineAddress() throws -> PeerAddress {
    if let productEngine { return try PeerAddress(parsing: productEngine) }
    let origination = try originationAddress()
    return PeerAddress(
      host: origination.host, port: origination.port + LendingService.productEngine.portOffset)
  }

  /// Runs `body` with clients of Origination and the Product Engine, then closes them; their
  /// connections live on `group`'s loops (one loop: both on it).
  func withClients<Result: Sendable>(
    on group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    _ body: (Origination.Client, ProductEngine.Client) async throws -> Result
  ) async throws -> Result {
    let origination = try originationAddress()
    let engine = try productEngineAddress()
    let toOrigination = HTTP2ClientTransport(
      host: origination.host, port: origination.port, group: group)
    let toEngine = HTTP2ClientTransport(host: engine.host, port: engine.port, group: group)
    do {
      let result = try await body(
        Origination.Client(transport: toOrigination), ProductEngine.Client(transport: toEngine))
      await toOrigination.close()
      await toEngine.close()
      return result
    } catch let error as RPCError {
      await toOrigination.close()
      await toEngine.close()
      for line in RPCErrorText.lines(error) { Console.line(line) }
      throw ExitCode(1)
    } catch {
      await toOrigination.close()
      await toEngine.close()
      throw error
    }
  }
}

/// Call options of the client commands.
let lendingCallOptions = CallOptions(timeout: .seconds(15))

import ArgumentParser

/// `wirebank`: runs Wirebank's services and tools; each subcommand lives in a file of its own.
@main
struct WirebankCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wirebank",
    abstract: "Wirebank: back-office services over gRPC.",
    subcommands: [
      UpCommand.self, ServeCommand.self, DemoCommand.self, LendingCommand.self,
      PostgresCommand.self, InteropServerCommand.self, InteropClientCommand.self,
    ])
}

import ArgumentParser
import Foundation
import WirebankHost
import WirebankPostgres

/// `wirebank postgres start|stop`: the embedded PostgreSQL under a state folder, for
/// `wirebank serve` processes that share it.
struct PostgresCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "postgres",
    abstract: "Start or stop the embedded PostgreSQL that `serve` processes share.",
    subcommands: [Start.self, Stop.self])

  struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Start the embedded PostgreSQL (creating it and the services' databases).",
      discussion: "Prints a --database-url template that reaches it.")

    @Option(help: ArgumentHelp("The cluster's folder.", valueName: "path"))
    var stateDir = ".state"

    @Flag(help: "No flushes to disk (for throw-away test folders).")
    var disposable = false

    func run() async throws {
      let logger = CommandLogging.logger(label: "wirebank.postgres", defaultLevel: .warning)
      let databases = try await LendingDatabases.open(
        .embedded(
          stateDirectory: stateDir,
          settings: disposable ? DatabaseSource.disposableClusterSettings : [:]),
        logger: logger)
      var socket = ""
      for service in LendingService.allCases {
        let configuration = try await databases.configuration(for: service)
        socket = configuration["host"] ?? ""
      }
      let encoded = socket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? socket
      Console.line(
        databases.cluster?.startedByThisProcess == true
          ? "embedded PostgreSQL started" : "embedded PostgreSQL already running")
      Console.line("socket folder: \(socket)")
      Console.line(
        "database url template: postgresql://wirebank@/lending_{service}?host=\(encoded)")
    }
  }

  struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop the embedded PostgreSQL.")

    @Option(help: ArgumentHelp("The cluster's folder.", valueName: "path"))
    var stateDir = ".state"

    func run() async throws {
      guard FileManager.default.fileExists(atPath: stateDir + "/data/postmaster.pid") else {
        Console.line("embedded PostgreSQL is not running in \(stateDir)")
        return
      }
      let logger = CommandLogging.logger(label: "wirebank.postgres", defaultLevel: .warning)
      let cluster = try await EmbeddedPostgres.start(
        EmbeddedPostgres.Configuration(directory: stateDir), logger: logger)
      try await cluster.stop()
      Console.line("embedded PostgreSQL stopped")
    }
  }
}

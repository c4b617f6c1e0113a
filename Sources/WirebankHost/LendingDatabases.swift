import Foundation
import Logging
import NIOPosix
import WirebankPostgres

/// The databases of the Lending services: on an embedded cluster (started here if it is not
/// running) or on the server a URL names. Each service gets a database of its own, created if
/// it does not exist yet.
public final class LendingDatabases: Sendable {
  /// Where the data lives.
  public let source: DatabaseSource
  /// The embedded cluster, when the source is one.
  public let cluster: EmbeddedPostgres?
  private let logger: Logger

  private init(source: DatabaseSource, cluster: EmbeddedPostgres?, logger: Logger) {
    self.source = source
    self.cluster = cluster
    self.logger = logger
  }

  /// Opens `source`: for an embedded cluster, creates and starts it unless it runs already.
  ///
  /// Processes that share a state folder start it one at a time (a lock file in the folder), so
  /// `wirebank serve` processes launched together do not race to create it.
  /// - Throws: `EmbeddedPostgresError` (the message names a missing Debian package), or
  ///   `LendingHostError` when the state folder cannot be locked.
  public static func open(_ source: DatabaseSource, logger: Logger) async throws
    -> LendingDatabases
  {
    switch source {
    case .url:
      return LendingDatabases(source: source, cluster: nil, logger: logger)
    case .embedded(let directory, let settings):
      var configuration = EmbeddedPostgres.Configuration(directory: directory)
      configuration.settings = DatabaseSource.embeddedBaseSettings.merging(settings) { $1 }
      let cluster = try await StateFolderLock.withLock(in: directory) {
        try await EmbeddedPostgres.start(configuration, logger: logger)
      }
      return LendingDatabases(source: source, cluster: cluster, logger: logger)
    }
  }

  /// How `service` connects to its database, which exists once this returns.
  /// - Throws: `PostgresError` when the database cannot be created or the URL is malformed.
  public func configuration(for service: LendingService) async throws -> PostgresConfiguration {
    switch source {
    case .embedded(let directory, _):
      guard let cluster else { throw LendingHostError("no embedded cluster") }
      return try await StateFolderLock.withLock(in: directory) {
        try await cluster.createDatabaseIfAbsent(service.databaseName)
      }
    case .url(let template):
      let configuration = try PostgresConfiguration(url: source.url(template, for: service))
      await createIfAbsent(configuration)
      return configuration
    }
  }

  /// Stops the embedded cluster if this process started it (others may still use one it found
  /// running).
  public func stopClusterIfStartedHere() async {
    guard let cluster, cluster.startedByThisProcess else { return }
    do {
      try await cluster.stop()
    } catch {
      logger.error("cannot stop the embedded PostgreSQL", metadata: ["error": "\(error)"])
    }
  }

  /// A short description for people: the state folder or the server.
  public var summary: String {
    switch source {
    case .embedded:
      "embedded PostgreSQL in \(cluster?.directory ?? "?")"
    case .url(let template):
      (try? PostgresConfiguration(url: template).description) ?? "PostgreSQL"
    }
  }

  /// Creates the URL's database through the server's `postgres` database, if it can; when it
  /// cannot (no right to, or no such maintenance database), the pool's own error says more.
  private func createIfAbsent(_ configuration: PostgresConfiguration) async {
    guard let name = configuration.database, !name.isEmpty else { return }
    let threadPool = NIOThreadPool(numberOfThreads: 1)
    threadPool.start()
    defer { threadPool.shutdownGracefully { _ in } }
    let connection: PostgresConnection
    do {
      connection = try await PostgresConnection.connect(
        to: configuration.database("postgres"), threadPool: threadPool, logger: logger)
    } catch {
      logger.debug(
        "cannot reach the maintenance database; assuming the service's database exists",
        metadata: ["database": "\(name)", "error": "\(error)"])
      return
    }
    do {
      let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)")
      if exists.isEmpty {
        try await connection.query("CREATE DATABASE \(identifier: name)")
        logger.info("database created", metadata: ["database": "\(name)"])
      }
    } catch let error as PostgresError where error.code == .duplicateDatabase {
      // Created by another process meanwhile.
    } catch {
      logger.debug(
        "cannot create the database; assuming it exists",
        metadata: ["database": "\(name)", "error": "\(error)"])
    }
    await connection.close()
  }
}

/// A hosting failure that is not a database's or a transport's.
public struct LendingHostError: Error, Sendable, CustomStringConvertible {
  /// What went wrong.
  public var description: String

  /// An error saying `description`.
  public init(_ description: String) { self.description = description }
}

import Logging
import NIOPosix
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A private PostgreSQL cluster run with the Debian package's `initdb` and `pg_ctl`: data kept
/// under a state folder, reachable only through a Unix socket, one database per service.
///
/// `start` creates the cluster on first use and reuses a server already running on the same data
/// (found through its `postmaster.pid`). As root, the server runs as `postgres` (or `nobody`),
/// since PostgreSQL refuses root; the folder is handed to that user.
public final class EmbeddedPostgres: Sendable {
  /// Where and how the cluster runs.
  public struct Configuration: Sendable, Hashable {
    /// The folder owned by the cluster (data, socket, logs); kept between runs.
    public var directory: String
    /// The port number, which here only names the socket file (no TCP listener).
    public var port: Int = 5432
    /// Extra server settings, such as `["fsync": "off"]` for throw-away test clusters.
    public var settings: [String: String] = [:]
    /// The folder holding `initdb` and `pg_ctl`; when set, only it is searched.
    public var binDirectory: String?
    /// When running as root: the user that runs the server (default `postgres`, else `nobody`).
    public var serverUser: String?
    /// The database superuser the cluster is created with.
    public var superuser = "wirebank"

    /// A configuration for a cluster kept in `directory`.
    public init(directory: String) { self.directory = directory }
  }

  /// The configuration.
  public let configuration: Configuration
  /// The cluster folder as an absolute path.
  public let directory: String
  let dataDirectory: String
  let socketDirectory: String
  let binDirectory: String
  let account: ClusterTools.ServerAccount?
  let logger: Logger
  private let startedHere = Atomic<Bool>(false)

  private init(configuration: Configuration, logger: Logger) throws {
    self.configuration = configuration
    self.logger = logger
    directory = Self.absolutePath(configuration.directory)
    dataDirectory = directory + "/data"
    binDirectory = try ClusterTools.findBinaries(in: configuration.binDirectory)
    account = try ClusterTools.serverAccount(preferred: configuration.serverUser)
    let preferredSocketDirectory = directory + "/run"
    // sockaddr_un holds 107 bytes of path; fall back to a short folder named after ours.
    if preferredSocketDirectory.utf8.count + 16 < 107 {
      socketDirectory = preferredSocketDirectory
    } else {
      socketDirectory = "/tmp/wirebank-pg-" + String(SHA256.hexDigest(directory.utf8).prefix(16))
    }
  }

  /// Creates the cluster if needed and starts it unless it is already running.
  /// - Throws: `EmbeddedPostgresError` (`binariesMissing` names the Debian package to install).
  public static func start(_ configuration: Configuration, logger: Logger) async throws
    -> EmbeddedPostgres
  {
    let cluster = try EmbeddedPostgres(configuration: configuration, logger: logger)
    try await cluster.start()
    return cluster
  }

  /// Starts the server again after `stop()` (or reuses one that is running).
  public func start() async throws {
    let startedNow = try await ClusterTools.offloaded { [self] in try startBlocking() }
    if startedNow { startedHere.store(true, ordering: .relaxed) }
    logger.info(
      startedNow ? "embedded postgres started" : "embedded postgres already running; reused",
      metadata: ["directory": "\(directory)"])
  }

  /// Whether this process started the server (rather than finding it running).
  public var startedByThisProcess: Bool { startedHere.load(ordering: .relaxed) }

  /// Stops the server (fast shutdown: sessions end, everything committed is kept).
  public func stop() async throws {
    try await ClusterTools.offloaded { [self] in try stopBlocking() }
    logger.info("embedded postgres stopped", metadata: ["directory": "\(directory)"])
  }

  /// Stops the server, blocking the calling thread: for exit handlers with no async context.
  public func stopBlocking() throws {
    guard runningServerPID() != nil else { return }
    try runTool("pg_ctl", ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "-s"])
  }

  /// How to connect to `database` (as the cluster's superuser, through the socket).
  public func configuration(database: String) -> PostgresConfiguration {
    PostgresConfiguration(
      unixSocketDirectory: socketDirectory, port: configuration.port, database: database,
      user: configuration.superuser)
  }

  /// Creates `name` unless it exists and returns how to connect to it.
  /// - Throws: `EmbeddedPostgresError` of kind `invalidDatabaseName` unless `name` is 1–63 of
  ///   `a-z`, `0-9`, `_` starting with a letter; `PostgresError` if the server refuses.
  @discardableResult
  public func createDatabaseIfAbsent(_ name: String) async throws -> PostgresConfiguration {
    let valid =
      !name.isEmpty && name.utf8.count <= 63 && name.first?.isLetter == true
      && name.allSatisfy {
        ($0.isLetter && $0.isLowercase && $0.isASCII) || $0.isNumber || $0 == "_"
      }
    guard valid else {
      throw EmbeddedPostgresError(
        .invalidDatabaseName,
        "database names are lowercase letters, digits and _ (got \(name.count) characters)")
    }
    let threadPool = NIOThreadPool(numberOfThreads: 1)
    threadPool.start()
    defer { threadPool.shutdownGracefully { _ in } }
    let connection = try await PostgresConnection.connect(
      to: configuration(database: "postgres"), threadPool: threadPool, logger: logger)
    do {
      let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)")
      if exists.isEmpty {
        do {
          try await connection.query("CREATE DATABASE \(identifier: name)")
          logger.info("embedded postgres database created", metadata: ["database": "\(name)"])
        } catch let error as PostgresError where error.code == .duplicateDatabase {
          // Another process created it between the check and the CREATE.
        }
      }
    } catch {
      await connection.close()
      throw error
    }
    await connection.close()
    return configuration(database: name)
  }
}

/// Why the embedded cluster could not be set up, started or stopped.
public struct EmbeddedPostgresError: Error, Sendable, CustomStringConvertible {
  /// The kind of failure.
  public enum Reason: Sendable, Hashable {
    /// `initdb`/`pg_ctl` are not installed (Debian package `postgresql`).
    case binariesMissing
    /// The state folder cannot be created or reached by the server's user.
    case directoryUnusable
    /// A PostgreSQL tool failed (its output is in the message).
    case commandFailed
    /// A database name is not a plain lowercase identifier.
    case invalidDatabaseName
  }

  /// The kind of failure.
  public var reason: Reason
  /// What happened, with the tool's output where there is one.
  public var message: String

  init(_ reason: Reason, _ message: String) {
    self.reason = reason
    self.message = message
  }

  /// The message.
  public var description: String { "EmbeddedPostgresError(\(reason)): \(message)" }
}

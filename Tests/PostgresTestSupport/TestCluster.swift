import Foundation
import Logging
import Synchronization
import WirebankPostgres

/// One embedded cluster per test process, in a temporary folder, stopped and removed at exit.
///
/// Every test target that needs PostgreSQL shares it: each test takes a fresh database on it, so
/// the suite needs no server of its own and starts `initdb` once.
public enum TestCluster {
  /// The clusters' logger: quiet unless `WIREBANK_TEST_LOG` is set.
  public static let logger = makeLogger(label: "wirebank.postgres.tests", quietLevel: .error)

  /// The shared cluster (fsync off: these tests never crash the machine).
  public static let shared = Task { try await startCluster(named: "shared") }

  private static let counter = Atomic<Int>(0)
  private static let exitList = Mutex<[(EmbeddedPostgres, String)]>([])

  /// A logger at `quietLevel`, or at `debug` when `WIREBANK_TEST_LOG` is set.
  public static func makeLogger(label: String, quietLevel: Logger.Level) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel =
      ProcessInfo.processInfo.environment["WIREBANK_TEST_LOG"] == nil ? quietLevel : .debug
    return logger
  }

  /// Starts a cluster of the test's own (for tests that stop and start it, or count its WAL
  /// writes); it is stopped and its folder removed when the process exits. `settings` replace
  /// the throw-away defaults of the same name.
  public static func startCluster(
    named name: String, settings: [String: String] = [:]
  ) async throws -> EmbeddedPostgres {
    let folder = try makeTemporaryFolder(name)
    var configuration = EmbeddedPostgres.Configuration(directory: folder)
    configuration.settings = [
      "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
      // Swift Testing runs the suites' tests at once, each with a pool of up to 12 connections:
      // PostgreSQL's default of 100 was reached now and then ("too many clients already").
      "max_connections": "400",
    ].merging(settings) { _, new in new }
    let cluster = try await EmbeddedPostgres.start(configuration, logger: logger)
    let first = exitList.withLock { list in
      list.append((cluster, folder))
      return list.count == 1
    }
    if first { atexit { TestCluster.stopAll() } }
    return cluster
  }

  /// A new, empty database on the shared cluster, named `<prefix>_<pid>_<n>`.
  public static func freshDatabase(_ prefix: String = "t") async throws -> PostgresConfiguration {
    let cluster = try await shared.value
    let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
    return try await cluster.createDatabaseIfAbsent("\(prefix)_\(getpid())_\(number)")
  }

  /// A pool on a new database of the shared cluster.
  public static func freshPool(
    _ prefix: String = "t", options: PostgresPool.Options = PostgresPool.Options(maxConnections: 4),
    logger: Logger = TestCluster.logger
  ) async throws -> PostgresPool {
    PostgresPool(configuration: try await freshDatabase(prefix), options: options, logger: logger)
  }

  /// A new folder under /tmp whose name starts `wirebank-pg-<name>-`.
  public static func makeTemporaryFolder(_ name: String) throws -> String {
    var template = Array("/tmp/wirebank-pg-\(name)-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
    return String(cString: path)
  }

  private static func stopAll() {
    for (cluster, folder) in exitList.withLock({ $0 }) {
      try? cluster.stopBlocking()
      try? FileManager.default.removeItem(atPath: folder)
    }
  }
}

import Foundation
import Logging
import Synchronization
import WirebankPostgres

/// One embedded cluster per test process, in a temporary folder, stopped and removed at exit.
enum TestCluster {
  static let logger: Logger = {
    var logger = Logger(label: "wirebank.postgres.tests")
    logger.logLevel =
      ProcessInfo.processInfo.environment["WIREBANK_TEST_LOG"] == nil ? .error : .debug
    return logger
  }()

  /// The shared cluster (fsync off: these tests never crash the machine).
  static let shared = Task { try await startCluster(named: "shared") }

  private static let counter = Atomic<Int>(0)
  private static let exitList = Mutex<[(EmbeddedPostgres, String)]>([])

  /// Starts a cluster of the test's own (for tests that stop and start it).
  static func startCluster(named name: String) async throws -> EmbeddedPostgres {
    let folder = try makeTemporaryFolder(name)
    var configuration = EmbeddedPostgres.Configuration(directory: folder)
    configuration.settings = [
      "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
    ]
    let cluster = try await EmbeddedPostgres.start(configuration, logger: logger)
    let first = exitList.withLock { list in
      list.append((cluster, folder))
      return list.count == 1
    }
    if first { atexit { TestCluster.stopAll() } }
    return cluster
  }

  /// A new, empty database on the shared cluster.
  static func freshDatabase(_ prefix: String = "t") async throws -> PostgresConfiguration {
    let cluster = try await shared.value
    let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
    let name = "\(prefix)_\(getpid())_\(number)"
    return try await cluster.createDatabaseIfAbsent(name)
  }

  /// A pool on a new database.
  static func freshPool(
    _ prefix: String = "t", options: PostgresPool.Options = PostgresPool.Options(maxConnections: 4)
  ) async throws -> PostgresPool {
    PostgresPool(configuration: try await freshDatabase(prefix), options: options, logger: logger)
  }

  static func makeTemporaryFolder(_ name: String) throws -> String {
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

/// Waits for `condition` to hold, checking every few milliseconds, failing after `timeout`.
func waitUntil(
  timeout: Duration = .seconds(10), _ what: String = "condition",
  _ condition: () async throws -> Bool
) async throws {
  let deadline = ContinuousClock.now + timeout
  while try await !condition() {
    guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
    try await Task.sleep(for: .milliseconds(5))
  }
}

struct TimedOut: Error, CustomStringConvertible {
  var what: String
  var description: String { "timed out waiting for \(what)" }
}

/// Runs `body` with a pool and closes it afterwards, whatever happens.
func withPool<Result: Sendable>(
  _ pool: PostgresPool, _ body: (PostgresPool) async throws -> Result
) async throws -> Result {
  do {
    let result = try await body(pool)
    await pool.close()
    return result
  } catch {
    await pool.close()
    throw error
  }
}

/// A counter tasks can share.
final class Counter: Sendable {
  private let value = Atomic<Int>(0)
  private let highest = Mutex(0)
  /// Adds one and returns the new value.
  @discardableResult func increment() -> Int {
    let now = value.wrappingAdd(1, ordering: .relaxed).newValue
    highest.withLock { $0 = max($0, now) }
    return now
  }
  /// The highest value reached.
  var peak: Int { highest.withLock { $0 } }
  /// Subtracts one.
  func decrement() { value.wrappingSubtract(1, ordering: .relaxed) }
  var current: Int { value.load(ordering: .relaxed) }
}

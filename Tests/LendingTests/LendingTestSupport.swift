import Foundation
import Logging
import Synchronization
import Testing
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// One embedded PostgreSQL cluster for the lending tests, in a temporary folder, stopped and
/// removed at exit; every test takes fresh databases on it.
enum LendingTestDatabase {
  static let logger: Logger = {
    var logger = Logger(label: "wirebank.lending.tests")
    logger.logLevel =
      ProcessInfo.processInfo.environment["WIREBANK_TEST_LOG"] == nil ? .critical : .debug
    return logger
  }()

  static let cluster = Task { () throws -> EmbeddedPostgres in
    var template = Array("/tmp/wirebank-lending-XXXXXX".utf8CString)
    guard let path = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
    let folder = String(cString: path)
    var configuration = EmbeddedPostgres.Configuration(directory: folder)
    configuration.settings = [
      "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
      "max_connections": "300",
    ]
    let cluster = try await EmbeddedPostgres.start(configuration, logger: logger)
    exitState.withLock { $0 = (cluster, folder) }
    atexit {
      guard let (cluster, folder) = LendingTestDatabase.exitState.withLock({ $0 }) else { return }
      try? cluster.stopBlocking()
      try? FileManager.default.removeItem(atPath: folder)
    }
    return cluster
  }

  private static let exitState = Mutex<(EmbeddedPostgres, String)?>(nil)
  private static let counter = Atomic<Int>(0)

  /// A pool on a new, empty database named after `prefix`.
  static func freshPool(_ prefix: String, maxConnections: Int = 6) async throws -> PostgresPool {
    let number = counter.wrappingAdd(1, ordering: .relaxed).newValue
    let configuration = try await cluster.value.createDatabaseIfAbsent(
      "\(prefix)_\(getpid())_\(number)")
    return PostgresPool(
      configuration: configuration, options: .init(maxConnections: maxConnections),
      logger: logger)
  }
}

/// A clock the test moves by hand.
final class ManualClock: WallClock {
  private let current: Mutex<Date>
  init(_ start: Date = Date(timeIntervalSince1970: 1_735_689_600)) {  // 2025-01-01 00:00 UTC
    current = Mutex(start)
  }
  func now() -> Date { current.withLock { $0 } }
  func advance(days: Int) { current.withLock { $0 += TimeInterval(days) * 86_400 } }
}

/// Waits for `condition`, polling every few milliseconds, failing after `timeout`.
func eventually(
  timeout: Duration = .seconds(20), _ what: String, _ condition: () async throws -> Bool
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

/// The error `body` throws as an `RPCError`, or nil when it succeeds.
func rpcError(_ body: () async throws -> Void) async -> RPCError? {
  do {
    try await body()
    return nil
  } catch let error as RPCError {
    return error
  } catch {
    Issue.record("expected an RPCError, got \(error)")
    return nil
  }
}

/// The details an error carries in `grpc-status-details-bin`.
struct ErrorDetails {
  var status: CommonStatus
  var badRequest: CommonBadRequest?
  var info: CommonErrorInfo?

  init?(_ error: RPCError) {
    guard let bytes = error.metadata[binary: Metadata.statusDetailsKey],
      let status = try? CommonStatus(serializedBytes: bytes)
    else { return nil }
    self.status = status
    for detail in status.details {
      switch detail.typeUrl {
      case "type.googleapis.com/wirebank.common.v1.BadRequest":
        badRequest = try? CommonBadRequest(serializedBytes: Array(detail.value))
      case "type.googleapis.com/wirebank.common.v1.ErrorInfo":
        info = try? CommonErrorInfo(serializedBytes: Array(detail.value))
      default: break
      }
    }
  }

  var fields: Set<String> { Set(badRequest?.fieldViolations.map(\.field) ?? []) }
  var reason: String? { info?.reason }
}

/// Runs `run` in a task until `body` ends, then cancels it and waits for it to stop.
func whileRunning<Result: Sendable>(
  _ runs: [@Sendable () async -> Void], _ body: () async throws -> Result
) async throws -> Result {
  let tasks = runs.map { run in Task { await run() } }
  do {
    let result = try await body()
    for task in tasks { task.cancel() }
    for task in tasks { await task.value }
    return result
  } catch {
    for task in tasks { task.cancel() }
    for task in tasks { await task.value }
    throw error
  }
}

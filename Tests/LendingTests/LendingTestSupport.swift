@_exported import PostgresTestSupport
import Foundation
import Logging
import Synchronization
import Testing
import WirebankContracts
import WirebankJobs
import WirebankPostgres
import WirebankRPC

/// The lending tests' databases: fresh ones on the test process's shared embedded cluster
/// (`TestCluster`), quiet unless `WIREBANK_TEST_LOG` is set.
enum LendingTestDatabase {
  static let logger = TestCluster.makeLogger(label: "wirebank.lending.tests", quietLevel: .critical)

  /// A pool on a new, empty database named after `prefix`.
  static func freshPool(_ prefix: String, maxConnections: Int = 6) async throws -> PostgresPool {
    try await TestCluster.freshPool(
      prefix, options: .init(maxConnections: maxConnections), logger: logger)
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

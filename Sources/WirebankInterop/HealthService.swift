import Synchronization
import WirebankContracts
import WirebankRPC

/// `grpc.health.v1.Health`: the serving status of each hosted service, settable at run time.
///
/// The empty service name stands for the whole server and starts as SERVING. `Check` of a
/// service never set answers NOT_FOUND; `Watch` sends the current status (SERVICE_UNKNOWN for
/// one never set) and then every change, until the client cancels.
public final class HealthService: Grpc_Health_V1_Health.ServiceProtocol, Sendable {
  /// A serving status, as the health protocol names them.
  public typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

  private struct State {
    var statuses: [String: Status] = ["": .serving]
    /// Shutting down: statuses are final and watches end after reporting them.
    var terminal = false
    var watchers: [String: [Int: AsyncStream<Status>.Continuation]] = [:]
    var nextWatcher = 0
  }

  private let state = Mutex(State())

  /// A health service reporting the server as SERVING.
  public init() {}

  /// Sets the status of `service` ("" for the whole server) and tells its watchers.
  public func setStatus(_ status: Status, forService service: String = "") {
    let watchers = state.withLock { state -> [AsyncStream<Status>.Continuation] in
      guard !state.terminal, state.statuses[service] != status else { return [] }
      state.statuses[service] = status
      return Array(state.watchers[service, default: [:]].values)
    }
    for watcher in watchers { watcher.yield(status) }
  }

  /// The status of `service`, or nil when it was never set.
  public func status(ofService service: String) -> Status? {
    state.withLock { $0.statuses[service] }
  }

  /// Marks every known service NOT_SERVING and ends every watch after telling it (as a server
  /// does when it begins shutting down, so that watches do not hold up the drain); later
  /// changes are ignored.
  public func enterShutdown() {
    let watchers = state.withLock { state -> [AsyncStream<Status>.Continuation] in
      guard !state.terminal else { return [] }
      state.terminal = true
      for service in state.statuses.keys { state.statuses[service] = .notServing }
      defer { state.watchers.removeAll() }
      return state.watchers.values.flatMap(\.values)
    }
    for watcher in watchers {
      watcher.yield(.notServing)
      watcher.finish()
    }
  }

  public func check(_ request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext)
    async throws -> Grpc_Health_V1_HealthCheckResponse
  {
    guard let status = status(ofService: request.service) else {
      throw RPCError(.notFound, "unknown service")
    }
    var response = Grpc_Health_V1_HealthCheckResponse()
    response.status = status
    return response
  }

  public func list(_ request: Grpc_Health_V1_HealthListRequest, context: ServerContext)
    async throws -> Grpc_Health_V1_HealthListResponse
  {
    var response = Grpc_Health_V1_HealthListResponse()
    for (service, status) in state.withLock({ $0.statuses }) {
      var entry = Grpc_Health_V1_HealthCheckResponse()
      entry.status = status
      response.statuses[service] = entry
    }
    return response
  }

  public func watch(
    _ request: Grpc_Health_V1_HealthCheckRequest,
    responses: ResponseWriter<Grpc_Health_V1_HealthCheckResponse>, context: ServerContext
  ) async throws {
    let (stream, continuation) = AsyncStream.makeStream(
      of: Status.self, bufferingPolicy: .bufferingNewest(1))
    let service = request.service
    let id = state.withLock { state -> Int in
      state.nextWatcher += 1
      continuation.yield(state.statuses[service] ?? .serviceUnknown)
      if state.terminal {
        continuation.finish()
      } else {
        state.watchers[service, default: [:]][state.nextWatcher] = continuation
      }
      return state.nextWatcher
    }
    defer {
      state.withLock { state in _ = state.watchers[service]?.removeValue(forKey: id) }
      continuation.finish()
    }
    var last: Status?
    for await status in stream where status != last {
      last = status
      var response = Grpc_Health_V1_HealthCheckResponse()
      response.status = status
      try await responses.write(response)
    }
  }
}

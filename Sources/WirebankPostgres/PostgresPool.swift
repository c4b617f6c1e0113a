import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A bounded pool of connections to one database, with its own thread pool for libpq calls.
///
/// Connections open on demand up to `maxConnections`; a task that finds none free waits (up to
/// `leaseTimeout`). Before an idle connection is reused it is checked without a round trip (an
/// idle socket that became readable means the server closed it), and with a round trip when it sat
/// idle longer than `healthCheckInterval`; dead ones are replaced, so the pool recovers by itself
/// after the server restarts. Call `close()` before dropping the pool.
public final class PostgresPool: Sendable {
  /// Limits and timings of a pool.
  public struct Options: Sendable, Hashable {
    /// The most connections open at once (also the number of libpq threads).
    public var maxConnections: Int
    /// How long a task waits for a free connection before failing with `poolTimedOut`.
    public var leaseTimeout: Duration
    /// How long an unused connection stays open.
    public var idleTimeout: Duration
    /// An idle connection older than this is checked with a round trip before reuse.
    public var healthCheckInterval: Duration

    /// Options with the given values (defaults: 10 connections, 10 s, 60 s, 10 s).
    public init(
      maxConnections: Int = 10, leaseTimeout: Duration = .seconds(10),
      idleTimeout: Duration = .seconds(60), healthCheckInterval: Duration = .seconds(10)
    ) {
      self.maxConnections = maxConnections
      self.leaseTimeout = leaseTimeout
      self.idleTimeout = idleTimeout
      self.healthCheckInterval = healthCheckInterval
    }
  }

  /// Counts of connections and waiters, for tests and metrics.
  public struct Statistics: Sendable, Hashable {
    /// Open and unused.
    public var idle: Int
    /// Handed to a task.
    public var leased: Int
    /// Being opened.
    public var connecting: Int
    /// Tasks waiting for a connection.
    public var waiting: Int

    /// Counts with the given values.
    public init(idle: Int, leased: Int, connecting: Int, waiting: Int) {
      self.idle = idle
      self.leased = leased
      self.connecting = connecting
      self.waiting = waiting
    }
  }

  /// Where the pool connects.
  public let configuration: PostgresConfiguration
  /// The pool's limits.
  public let options: Options
  let logger: Logger
  let threadPool: NIOThreadPool
  let shared: Mutex<Shared>

  struct Shared {
    var machine: StateMachine<PostgresConnection>
    var waiters: [Int: CheckedContinuation<StateMachine<PostgresConnection>.Grant, any Error>] = [:]
    /// Each waiter's lease timeout, on an event loop: cancelling it takes it off the loop's
    /// timers, where a cancelled `Task.sleep` would keep its timer until it was due.
    var timers: [Int: Scheduled<Void>] = [:]
    var closeWaiters: [CheckedContinuation<Void, Never>] = []
    var nextWaiter = 0
    var isShutDown = false
  }

  /// A pool for `configuration`; no connection opens until one is needed.
  public init(configuration: PostgresConfiguration, options: Options = Options(), logger: Logger) {
    self.configuration = configuration
    self.options = options
    self.logger = logger
    threadPool = NIOThreadPool(numberOfThreads: max(1, options.maxConnections) + 1)
    threadPool.start()
    shared = Mutex(
      Shared(
        machine: StateMachine(
          maxConnections: options.maxConnections, idleTimeout: options.idleTimeout)))
  }

  deinit {
    // A pool dropped without close() must still stop its threads.
    if !shared.withLock({ $0.isShutDown }) { threadPool.shutdownGracefully { _ in } }
  }

  /// Leases a connection for the duration of `body`, then returns it to the pool.
  ///
  /// A connection left inside a transaction or broken is closed instead of reused.
  /// - Throws: what `body` throws, or `PostgresError` (`poolTimedOut`, `poolClosed`,
  ///   `connectionFailed`).
  public func withConnection<Result>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (PostgresConnection) async throws -> sending Result
  ) async throws -> sending Result {
    let connection = try await lease()
    let result: Result
    do {
      result = try await body(connection)
    } catch {
      await release(connection)
      throw error
    }
    await release(connection)
    return result
  }

  /// Runs one statement on a pooled connection.
  @discardableResult
  public func query(_ query: PostgresQuery) async throws -> PostgresRows {
    try await withConnection { try await $0.query(query) }
  }

  /// The current counts.
  public var statistics: Statistics {
    shared.withLock {
      Statistics(
        idle: $0.machine.idleCount, leased: $0.machine.leased,
        connecting: $0.machine.connecting, waiting: $0.machine.waiterCount)
    }
  }

  /// Closes idle connections, fails waiters, waits for leased connections to come back (they
  /// are closed then) and stops the pool's threads. Idempotent.
  public func close() async {
    let actions = shared.withLock { $0.machine.closeRequested() }
    await perform(actions)
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let done = shared.withLock { shared in
        if shared.isShutDown { return true }
        shared.closeWaiters.append(continuation)
        return false
      }
      if done { continuation.resume() }
    }
  }
}

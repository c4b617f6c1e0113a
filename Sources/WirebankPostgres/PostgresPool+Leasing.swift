import NIOCore
import NIOPosix

extension PostgresPool {
  /// Takes a healthy connection: an idle one that passes the checks, or a new one.
  func lease() async throws -> PostgresConnection {
    // Each discarded idle connection frees a slot, so this ends within maxConnections + 1 turns.
    while true {
      switch try await acquireGrant() {
      case .connect:
        return try await openConnection()
      case .connection(let connection, let idleSince):
        if await isHealthy(connection, idleSince: idleSince) { return connection }
        connection.logger.debug("postgres pool discards a dead idle connection")
        await release(connection, forceClose: true)
      }
    }
  }

  /// Gives a connection back; it is closed if broken, inside a transaction or cancelled.
  func release(_ connection: PostgresConnection, forceClose: Bool = false) async {
    let reusable = !forceClose && connection.isReusable
    let actions = shared.withLock {
      $0.machine.released(connection, reusable: reusable, now: .now)
    }
    await perform(actions)
  }

  private func acquireGrant() async throws -> StateMachine<PostgresConnection>.Grant {
    try Task.checkCancellation()
    let waiter = shared.withLock { shared in
      defer { shared.nextWaiter += 1 }
      return shared.nextWaiter
    }
    let timeout = options.leaseTimeout
    return try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { continuation in
        let decision = shared.withLock { shared in
          // Checked under the lock that the cancellation handler takes too: a cancellation
          // either is seen here or finds the waiter registered.
          if Task.isCancelled { return nil as StateMachine<PostgresConnection>.LeaseDecision? }
          let decision = shared.machine.leaseRequested(waiter: waiter, now: .now)
          if case .wait = decision { shared.waiters[waiter] = continuation }
          return decision
        }
        switch decision {
        case nil: continuation.resume(throwing: CancellationError())
        case .granted(let grant): continuation.resume(returning: grant)
        case .closed: continuation.resume(throwing: Self.closedError)
        case .wait:
          let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(
            in: TimeAmount(timeout)
          ) { [weak self] () -> Void in
            self?.waiterGaveUp(
              waiter,
              error: PostgresError(
                .poolTimedOut, reason: "no connection became free within \(timeout)"))
          }
          let stillWaiting = shared.withLock { shared in
            guard shared.waiters[waiter] != nil else { return false }
            shared.timers[waiter] = timer
            return true
          }
          if !stillWaiting { timer.cancel() }
        }
      }
    } onCancel: {
      waiterGaveUp(waiter, error: CancellationError())
    }
  }

  private func waiterGaveUp(_ waiter: Int, error: any Error) {
    let (continuation, timer) = shared.withLock { shared in
      guard shared.machine.waiterLeft(waiter) else {
        return (
          nil as CheckedContinuation<StateMachine<PostgresConnection>.Grant, any Error>?,
          nil as Scheduled<Void>?
        )
      }
      return (shared.waiters.removeValue(forKey: waiter), shared.timers.removeValue(forKey: waiter))
    }
    timer?.cancel()
    continuation?.resume(throwing: error)
  }

  private func openConnection() async throws -> PostgresConnection {
    let connection: PostgresConnection
    do {
      connection = try await PostgresConnection.connect(
        to: configuration, threadPool: threadPool, logger: logger)
    } catch {
      let actions = shared.withLock { $0.machine.connectFailed() }
      await perform(actions)
      throw error
    }
    if let rejected = shared.withLock({ $0.machine.connectSucceeded() }) {
      await connection.close()
      await perform(rejected)
      throw Self.closedError
    }
    return connection
  }

  private func isHealthy(_ connection: PostgresConnection, idleSince: ContinuousClock.Instant) async
    -> Bool
  {
    guard connection.looksHealthyWhileIdle else { return false }
    guard ContinuousClock.now - idleSince > options.healthCheckInterval else { return true }
    do {
      try await connection.runScript(unsafeSQL: "")
      return true
    } catch {
      return false
    }
  }

  /// Carries out the state machine's effects (outside the lock).
  func perform(_ actions: StateMachine<PostgresConnection>.Actions) async {
    let (grants, failures, closeWaiters, timers) = shared.withLock { shared in
      let grants = actions.grants.compactMap { entry in
        shared.waiters.removeValue(forKey: entry.waiter).map { ($0, entry.grant) }
      }
      let failures = actions.waitersToFail.compactMap { shared.waiters.removeValue(forKey: $0) }
      let timers = (actions.grants.map(\.waiter) + actions.waitersToFail).compactMap {
        shared.timers.removeValue(forKey: $0)
      }
      var closeWaiters: [CheckedContinuation<Void, Never>] = []
      if actions.shutdownFinished {
        shared.isShutDown = true
        closeWaiters = shared.closeWaiters
        shared.closeWaiters.removeAll()
      }
      return (grants, failures, closeWaiters, timers)
    }
    timers.forEach { $0.cancel() }
    for (continuation, grant) in grants { continuation.resume(returning: grant) }
    for continuation in failures { continuation.resume(throwing: Self.closedError) }
    for connection in actions.connectionsToClose { await connection.close() }
    if actions.shutdownFinished {
      try? await threadPool.shutdownGracefully()
      logger.debug("postgres pool closed")
      for continuation in closeWaiters { continuation.resume() }
    }
  }

  static var closedError: PostgresError {
    PostgresError(.poolClosed, reason: "the pool was closed")
  }
}

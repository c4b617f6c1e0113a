import Logging
import NIOPosix

/// What a `PostgresListener` reports.
public enum PostgresListenerEvent: Sendable, Hashable {
  /// `LISTEN` is in effect: after the first connect and again after every reconnect.
  ///
  /// Notifications sent while the listener was disconnected are lost, so treat this as "state
  /// may have changed": re-read whatever the notifications were about.
  case listening
  /// A notification arrived.
  case notification(PostgresNotification)
}

/// LISTEN on a dedicated connection, delivered as an async sequence; reconnects by itself.
///
/// The connection waits for its socket to become readable in `poll()` on the listener's own
/// thread (no polling loop: a notification wakes it at once). Cancelling `run()` wakes that thread
/// through a pipe, closes the connection and finishes `events`.
///
/// ```swift
/// let listener = PostgresListener(configuration: config, channels: ["jobs"], logger: logger)
/// group.addTask { await listener.run() }
/// for await event in listener.events { … }
/// ```
public final class PostgresListener: Sendable {
  /// The events, for one consumer; finishes when `run()` returns.
  public let events: AsyncStream<PostgresListenerEvent>
  private let continuation: AsyncStream<PostgresListenerEvent>.Continuation
  private let configuration: PostgresConfiguration
  private let channels: [String]
  private let reconnectBackoff: Backoff
  private let idleCheckInterval: Duration
  private let logger: Logger

  /// A listener for `channels` (names are case-sensitive, as `pg_notify` uses them).
  /// - Parameters:
  ///   - reconnectBackoff: the wait between failed connection attempts.
  ///   - idleCheckInterval: how long the connection may sit silent before a round trip checks it.
  public init(
    configuration: PostgresConfiguration, channels: [String],
    reconnectBackoff: Backoff = Backoff(initial: .milliseconds(50), maximum: .seconds(5)),
    idleCheckInterval: Duration = .seconds(30), logger: Logger
  ) {
    (events, continuation) = AsyncStream.makeStream()
    self.configuration = configuration
    self.channels = channels
    self.reconnectBackoff = reconnectBackoff
    self.idleCheckInterval = idleCheckInterval
    self.logger = logger
  }

  /// Listens until the task is cancelled, reconnecting whenever the connection breaks.
  public func run() async {
    defer { continuation.finish() }
    let threadPool = NIOThreadPool(numberOfThreads: 1)
    threadPool.start()
    defer { threadPool.shutdownGracefully { _ in } }
    let wake: WakePipe
    do {
      wake = try WakePipe()
    } catch {
      logger.error("postgres listener cannot start", metadata: ["error": "\(error)"])
      return
    }
    await withTaskCancellationHandler {
      await listen(threadPool: threadPool, wake: wake)
    } onCancel: {
      wake.signal()
    }
  }

  private func listen(threadPool: NIOThreadPool, wake: WakePipe) async {
    let parameters = configuration.connectionParameters
    let channels = self.channels
    let timeout = Int32(clamping: Int64(idleCheckInterval.seconds * 1000))
    var failures = 0
    while !Task.isCancelled {
      do {
        let session = try await threadPool.runBlocking {
          try ListenSession(parameters: parameters, channels: channels)
        }
        failures = 0
        logger.debug("postgres listener is listening", metadata: ["channels": "\(channels)"])
        continuation.yield(.listening)
        do {
          try await pump(session, threadPool: threadPool, wake: wake, timeout: timeout)
        } catch {
          _ = try? await threadPool.runBlocking { session.close() }
          throw error
        }
        _ = try? await threadPool.runBlocking { session.close() }
        return
      } catch {
        guard !Task.isCancelled else { return }
        failures += 1
        logger.warning(
          "postgres listener lost its connection; reconnecting",
          metadata: ["error": "\(error)", "attempt": "\(failures)"])
        do {
          try await Task.sleep(for: reconnectBackoff.delay(forAttempt: failures))
        } catch {
          return
        }
      }
    }
  }

  /// Yields notifications until woken for shutdown.
  private func pump(
    _ session: ListenSession, threadPool: NIOThreadPool, wake: WakePipe, timeout: Int32
  ) async throws {
    while true {
      let outcome = try await threadPool.runBlocking {
        try session.waitForNotifications(
          wakeDescriptor: wake.readDescriptor, timeoutMilliseconds: timeout)
      }
      guard case .notifications(let notifications) = outcome else { return }
      for notification in notifications { continuation.yield(.notification(notification)) }
    }
  }
}

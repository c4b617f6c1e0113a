import NIOCore
import WirebankRPC

/// What a server PING is for, carried in its opaque data.
enum PingPurpose {
  static let keepalive: UInt64 = 1
  static let shutdown: UInt64 = 2
}

/// The timers of one server connection.
struct ConnectionTimers {
  var started = false
  var tornDown = false
  var lastRead = NIODeadline.now()
  var idle: Scheduled<Void>?
  var keepalive: Scheduled<Void>?
  var keepaliveTimeout: Scheduled<Void>?
  var shutdownDeadline: Scheduled<Void>?
  var shutdownNotice: Scheduled<Void>?
  /// How long a half-closed connection waits for the peer to close.
  var linger: Scheduled<Void>?

  mutating func cancelAll() {
    linger?.cancel()
    linger = nil
    shutdownNotice?.cancel()
    shutdownNotice = nil
    idle?.cancel()
    keepalive?.cancel()
    keepaliveTimeout?.cancel()
    shutdownDeadline?.cancel()
    idle = nil
    keepalive = nil
    keepaliveTimeout = nil
    shutdownDeadline = nil
  }
}

extension ServerConnectionHandler {
  // MARK: Idle timeout

  /// Starts the idle timer if the connection has no calls.
  func scheduleIdleTimer() {
    guard let idleTimeout = configuration.idleTimeout, calls.isEmpty, timers.idle == nil,
      let context
    else { return }
    timers.idle = context.eventLoop.assumeIsolated().scheduleTask(in: idleTimeout.timeAmount) {
      self.timers.idle = nil
      guard self.calls.isEmpty else { return }
      self.logger.debug("closing idle connection")
      self.announceShutdown()
    }
  }

  /// A call started: the connection is not idle.
  func cancelIdleTimer() {
    timers.idle?.cancel()
    timers.idle = nil
  }

  // MARK: Keepalive

  /// Checks every `keepaliveInterval` that the client was heard from, else PINGs it.
  func scheduleKeepalive() {
    guard let interval = configuration.keepaliveInterval, let context else { return }
    timers.keepalive = context.eventLoop.assumeIsolated().scheduleTask(in: interval.timeAmount) {
      self.keepaliveTick()
    }
  }

  private func keepaliveTick() {
    guard let interval = configuration.keepaliveInterval, let context, !isClosing else { return }
    let silentFor = NIODeadline.now() - timers.lastRead
    if silentFor >= interval.timeAmount && timers.keepaliveTimeout == nil {
      session.ping(opaque: PingPurpose.keepalive)
      flush()
      let timeout = configuration.keepaliveTimeout.timeAmount
      timers.keepaliveTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
        self.logger.debug("keepalive PING unanswered: closing")
        self.close()
      }
    }
    scheduleKeepalive()
  }

  // MARK: Graceful shutdown

  /// The first step of a graceful GOAWAY (RFC 9113 §6.8): a shutdown notice and a PING. When
  /// the PING returns (or after a second), every stream the client opened before it saw the
  /// notice has arrived, so the final GOAWAY refuses none of them.
  func announceShutdown() {
    guard !isAnnouncingShutdown, !isDraining, let context else { return }
    isAnnouncingShutdown = true
    session.shutdownNotice()
    session.ping(opaque: PingPurpose.shutdown)
    flush()
    timers.shutdownNotice = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) {
      self.finishShutdownNotice()
    }
  }

  /// The second step: the final GOAWAY; the connection closes once its calls are done.
  func finishShutdownNotice() {
    guard isAnnouncingShutdown, !isDraining else { return }
    timers.shutdownNotice?.cancel()
    timers.shutdownNotice = nil
    isDraining = true
    session.goAway()
    flush()
    if calls.isEmpty { close() }
  }

  /// Sends GOAWAY (in two steps), lets the calls in flight finish, and cancels them after
  /// `gracePeriod`.
  func beginGracefulShutdown(gracePeriod: Duration) {
    guard !isClosing, let context else { return }
    announceShutdown()
    guard !isClosing else { return }
    timers.shutdownDeadline = context.eventLoop.assumeIsolated().scheduleTask(
      in: gracePeriod.timeAmount
    ) {
      self.logger.debug("grace period over: cancelling calls in flight")
      for call in self.calls.values {
        self.abort(
          call, with: RPCStatus(code: .unavailable, message: "the server is shutting down"))
      }
      self.flush()
      self.close()
    }
  }
}

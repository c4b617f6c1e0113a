import NIOCore
import NIOPosix
import WirebankRPC

/// The one connection of a client transport: connected lazily, replaced after GOAWAY or a
/// loss, and retried with exponential back-off after failed attempts.
///
/// Loop-confined. While an attempt is under way calls wait for it; while the back-off runs,
/// calls fail at once with UNAVAILABLE (gRPC's TRANSIENT_FAILURE); the first call after the
/// back-off has run out starts the next attempt.
final class ClientConnectionManager: @unchecked Sendable {
  private enum State {
    case idle
    case connecting
    case ready(ClientConnectionHandler)
    case backingOff(until: NIODeadline)
    case closed
  }

  let eventLoop: any EventLoop
  let configuration: HTTP2ClientTransport.Configuration
  private var state = State.idle
  private var failedAttempts = 0
  private var pending: [HTTP2ClientCall] = []
  /// Connections that took no new calls but still carry some (after GOAWAY).
  private var draining: [ObjectIdentifier: ClientConnectionHandler] = [:]
  private var closeWaiters: [CheckedContinuation<Void, Never>] = []

  init(eventLoop: any EventLoop, configuration: HTTP2ClientTransport.Configuration) {
    self.eventLoop = eventLoop
    self.configuration = configuration
  }

  /// The connection that takes calls now, if any (on the loop).
  var ready: ClientConnectionHandler? {
    if case .ready(let connection) = state { return connection }
    return nil
  }

  /// Opens `call` on the connection, connecting first if need be (on the loop).
  func open(_ call: HTTP2ClientCall) {
    switch state {
    case .ready(let connection):
      if connection.open(call) { return }
      // The connection stopped taking calls (GOAWAY): connect anew.
      pending.append(call)
      connect()
    case .connecting:
      pending.append(call)
    case .idle:
      pending.append(call)
      connect()
    case .backingOff(let until):
      if NIODeadline.now() >= until {
        pending.append(call)
        connect()
      } else {
        call.complete(
          RPCStatus(
            code: .unavailable,
            message: "cannot reach \(configuration.host):\(configuration.port); retrying later"))
      }
    case .closed:
      call.complete(RPCStatus(code: .unavailable, message: "the client transport is closed"))
    }
  }

  /// Closes the connection (and draining ones) once their calls finish; new calls fail.
  func close() async {
    await withCheckedContinuation { continuation in
      eventLoop.execute {
        let connections = (self.ready.map { [$0] } ?? []) + Array(self.draining.values)
        self.state = .closed
        for call in self.pending {
          call.complete(RPCStatus(code: .unavailable, message: "the client transport is closed"))
        }
        self.pending.removeAll()
        if connections.isEmpty {
          continuation.resume()
          return
        }
        self.closeWaiters.append(continuation)
        for connection in connections {
          self.draining[ObjectIdentifier(connection)] = connection
          connection.closeGracefully()
        }
      }
    }
  }

  private func connect() {
    state = .connecting
    let configuration = self.configuration
    let bootstrap = ClientBootstrap(group: eventLoop)
      .connectTimeout(configuration.connectTimeout.timeAmount)
      .channelOption(.socketOption(.tcp_nodelay), value: 1)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          let handler = ClientConnectionHandler(
            settings: configuration.settings, authority: configuration.authority,
            requestBufferHighWater: configuration.requestBufferHighWater,
            logger: configuration.logger)
          try channel.pipeline.syncOperations.addHandler(handler)
        }
      }
    bootstrap.connect(host: configuration.host, port: configuration.port).hop(to: eventLoop)
      .assumeIsolated().whenComplete { result in
        switch result {
        case .success(let channel):
          guard
            let handler = try? channel.pipeline.syncOperations.handler(
              type: ClientConnectionHandler.self)
          else {
            channel.close(promise: nil)
            self.connectFailed("no connection handler")
            return
          }
          self.connected(handler, channel: channel)
        case .failure(let error):
          self.connectFailed("\(error)")
        }
      }
  }

  private func connected(_ connection: ClientConnectionHandler, channel: any Channel) {
    guard case .connecting = state else {
      // Closed while connecting.
      connection.closeGracefully()
      return
    }
    failedAttempts = 0
    state = .ready(connection)
    connection.onUnusable = { [unowned self] connection in self.connectionUnusable(connection) }
    let waiting = pending
    pending.removeAll()
    for call in waiting where call.isWaitingToOpen {
      if !connection.open(call) {
        call.complete(RPCStatus(code: .unavailable, message: "the server refused new streams"))
      }
    }
  }

  private func connectFailed(_ reason: String) {
    failedAttempts += 1
    let delay = configuration.backoff.delay(afterFailures: failedAttempts)
    if case .closed = state {
      // Closed meanwhile: stay closed.
    } else {
      state = .backingOff(until: .now() + delay.timeAmount)
    }
    configuration.logger.debug(
      "connection attempt failed", metadata: ["reason": "\(reason)", "retry_in": "\(delay)"])
    let waiting = pending
    pending.removeAll()
    for call in waiting {
      call.complete(
        RPCStatus(
          code: .unavailable,
          message: "cannot connect to \(configuration.host):\(configuration.port)"))
    }
  }

  /// `connection` takes no new calls (GOAWAY) or is closed.
  private func connectionUnusable(_ connection: ClientConnectionHandler) {
    if ready === connection { state = .idle }
    let id = ObjectIdentifier(connection)
    if connection.activeCalls > 0 && connection.isUsable == false && draining[id] == nil {
      draining[id] = connection
      connection.onUnusable = { [unowned self] connection in self.connectionUnusable(connection) }
    } else {
      draining[id] = nil
    }
    if draining.isEmpty, case .closed = state {
      let waiters = closeWaiters
      closeWaiters.removeAll()
      for waiter in waiters { waiter.resume() }
    }
  }
}

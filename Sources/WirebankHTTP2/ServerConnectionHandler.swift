import CNghttp2
import Logging
import NIOCore
import WirebankRPC

/// Drives one server connection: socket bytes in and out of its nghttp2 session, calls to
/// their handlers.
///
/// Everything here runs on the channel's event loop. Reads are fed to nghttp2 and the events
/// its callbacks queued are handled once it returns; output is drained from nghttp2 into one
/// buffer and written with one flush per read burst (`channelReadComplete`) or per batch of
/// handler activity (a single deferred flush task).
final class ServerConnectionHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  let session: NGHTTP2Session
  let router: MethodRouter
  let configuration: HTTP2Server.Configuration
  let executor: EventLoopTaskExecutor
  /// Told when the connection closes, so the server stops tracking it.
  let onClose: @Sendable (ObjectIdentifier) -> Void

  var context: ChannelHandlerContext?
  var calls: [Int32: HTTP2ServerCall] = [:]
  /// Calls whose `send` waits for their body to drain.
  var congested: [Int32: HTTP2ServerCall] = [:]
  var peer = "unknown"
  var logger: Logger

  private var isReading = false
  private var flushScheduled = false
  private(set) var isClosing = false
  /// The final GOAWAY was sent (graceful shutdown, idle) or one was received: close once the
  /// last call ends.
  var isDraining = false
  /// The shutdown notice went out and the final GOAWAY waits for its PING to come back.
  var isAnnouncingShutdown = false
  var timers = ConnectionTimers()

  init(
    router: MethodRouter, configuration: HTTP2Server.Configuration, eventLoop: any EventLoop,
    onClose: @escaping @Sendable (ObjectIdentifier) -> Void
  ) {
    self.router = router
    self.configuration = configuration
    self.session = NGHTTP2Session(role: .server, settings: configuration.settings)
    self.executor = EventLoopTaskExecutor(eventLoop: eventLoop)
    self.onClose = onClose
    self.logger = configuration.logger
  }

  // MARK: Channel events

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    if context.channel.isActive { start(context: context) }
  }

  func channelActive(context: ChannelHandlerContext) {
    start(context: context)
    context.fireChannelActive()
  }

  private func start(context: ChannelHandlerContext) {
    guard !timers.started else { return }
    timers.started = true
    if let address = context.channel.remoteAddress { peer = Self.describe(address) }
    logger[metadataKey: "peer"] = "\(peer)"
    session.start()
    flush()
    scheduleIdleTimer()
    scheduleKeepalive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let buffer = unwrapInboundIn(data)
    timers.lastRead = .now()
    isReading = true
    do {
      try buffer.withUnsafeReadableBytes { bytes in
        try session.receive(bytes)
        // `.data` events point into `bytes`: handle them before leaving this scope.
        handleEvents()
      }
    } catch let error as NGHTTP2Error {
      connectionFailed(error)
    } catch {
      connectionFailed(nil)
    }
  }

  func channelReadComplete(context: ChannelHandlerContext) {
    isReading = false
    flush()
    context.fireChannelReadComplete()
  }

  func channelWritabilityChanged(context: ChannelHandlerContext) {
    if context.channel.isWritable { flush() }
    context.fireChannelWritabilityChanged()
  }

  func channelInactive(context: ChannelHandlerContext) {
    tearDown()
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    logger.debug("connection error", metadata: ["error": "\(error)"])
    close()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    tearDown()
    self.context = nil
  }

  // MARK: Output

  /// Asks for a flush after the current batch of loop work (once, however many ask).
  func scheduleFlush() {
    guard !isReading, !flushScheduled, let context else { return }
    flushScheduled = true
    context.eventLoop.assumeIsolatedUnsafeUnchecked().execute {
      self.flushScheduled = false
      self.flush()
    }
  }

  /// Drains nghttp2's output (handling what sending raised) and writes it in one flush.
  func flush() {
    guard let context, !isClosing else { return }
    guard context.channel.isWritable else { return }
    var buffer = context.channel.allocator.buffer(capacity: 1024)
    do {
      while true {
        try session.send(into: &buffer)
        guard !session.events.isEmpty else { break }
        handleEvents()
      }
    } catch {
      logger.debug("nghttp2 send failed", metadata: ["error": "\(error)"])
      if buffer.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(buffer), promise: nil) }
      close()
      return
    }
    if buffer.readableBytes > 0 {
      context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
    resumeDrainedWriters()
    if !session.isAlive || (isDraining && calls.isEmpty && !session.wantsWrite) {
      close()
    }
  }

  // MARK: Events

  /// Handles every event nghttp2's callbacks queued.
  func handleEvents() {
    session.drainEvents(handle)
  }

  private func handle(_ event: NGHTTP2Event) {
    switch event {
    case .headers(let streamID, let fields, let endStream, let oversized):
      if let call = calls[streamID] {
        // Trailers from a client (gRPC clients send none): only END_STREAM matters.
        if endStream { apply(call.state.inbound.receivedEnd(), to: call) }
      } else {
        startCall(
          streamID: streamID, block: session.headerBlock(fields), endStream: endStream,
          oversized: oversized)
      }
    case .data(let streamID, let bytes):
      session.consumeConnection(bytes.count)
      if let call = calls[streamID] {
        apply(call.state.inbound.receivedData(bytes), to: call)
      } else {
        session.consumeStream(streamID, bytes.count)
      }
    case .endStream(let streamID):
      if let call = calls[streamID] { apply(call.state.inbound.receivedEnd(), to: call) }
    case .streamClosed(let streamID, let errorCode):
      streamClosed(streamID, errorCode: errorCode)
    case .goAway:
      isDraining = true
    case .pingAcknowledged(let opaque):
      if opaque == PingPurpose.shutdown {
        finishShutdownNotice()
      } else {
        timers.keepaliveTimeout?.cancel()
        timers.keepaliveTimeout = nil
      }
    case .remoteSettingsChanged:
      break
    case .bodyDrained(let streamID):
      guard let call = calls[streamID], let status = call.state.bodyDrained() else { return }
      GRPCHeaders.trailers(status, into: &session.headers)
      session.submitTrailers(streamID: streamID)
    case .endStreamSent(let streamID):
      // The response is complete but the client is still sending: tell it to stop, without
      // error (RFC 9113 §8.1). Only now, since a reset would discard frames still queued.
      if session.isRemoteOpen(streamID) {
        session.resetStream(streamID, errorCode: HTTP2ErrorCode.noError)
      }
    }
  }

  // MARK: Closing

  /// The session failed: send what nghttp2 queued (a GOAWAY), then close.
  private func connectionFailed(_ error: NGHTTP2Error?) {
    if let error {
      logger.debug("HTTP/2 connection error", metadata: ["error": "\(error)"])
      // nghttp2 queues a GOAWAY for protocol errors itself; for these it does not (terminate
      // is a no-op once a terminating GOAWAY is queued).
      switch Int32(truncatingIfNeeded: error.code) {
      case NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue:
        session.terminate(errorCode: HTTP2ErrorCode.protocolError)
      case NGHTTP2_ERR_FLOODED.rawValue, NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue:
        session.terminate(errorCode: HTTP2ErrorCode.enhanceYourCalm)
      default:
        session.terminate(errorCode: HTTP2ErrorCode.internalError)
      }
    }
    if let context {
      var buffer = context.channel.allocator.buffer(capacity: 64)
      try? session.send(into: &buffer)
      session.events.removeAll()
      if buffer.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(buffer), promise: nil) }
    }
    close()
  }

  /// Closes the connection (after pending writes); calls still running are cancelled.
  func close() {
    guard !isClosing, let context else { return }
    isClosing = true
    // Output first: what is written goes out, then a FIN. Closing outright while the peer's last
    // frames sit unread sends a reset instead, and the peer's kernel then drops what it has not
    // read yet, such as a call's trailers. The peer answers the FIN by closing; a peer that does
    // not is cut off after a second.
    context.close(mode: .output, promise: nil)
    timers.linger = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) {
      context.close(promise: nil)
    }
  }

  /// Releases everything the connection holds: cancels calls and timers.
  private func tearDown() {
    guard !timers.tornDown else { return }
    timers.tornDown = true
    isClosing = true
    timers.cancelAll()
    let remaining = calls.values
    calls.removeAll()
    congested.removeAll()
    for call in remaining {
      call.state.streamClosed()
      call.connection = nil
      call.cancel()
    }
    onClose(ObjectIdentifier(self))
  }

  /// `ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000` or `unix:/path`, as gRPC names peers.
  static func describe(_ address: SocketAddress) -> String {
    switch address {
    case .v4: return "ipv4:\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    case .v6: return "ipv6:[\(address.ipAddress ?? "?")]:\(address.port ?? 0)"
    case .unixDomainSocket: return "unix:\(address.pathname ?? "")"
    }
  }
}

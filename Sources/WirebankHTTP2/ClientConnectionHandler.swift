import Logging
import NIOCore
import WirebankRPC

/// Drives one client connection: calls multiplexed as streams of one nghttp2 session.
///
/// Runs on the channel's event loop, like its server counterpart: input is fed to nghttp2,
/// the queued events are handled once it returns, and output is flushed once per read burst
/// or batch of call activity. nghttp2 itself holds back request HEADERS beyond the server's
/// SETTINGS_MAX_CONCURRENT_STREAMS until streams close.
final class ClientConnectionHandler: ChannelInboundHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundOut = ByteBuffer

  let session: NGHTTP2Session
  let authority: String
  let requestBufferHighWater: Int
  let logger: Logger
  /// Told (on the loop) when the connection can take no new calls: GOAWAY or closed.
  var onUnusable: ((ClientConnectionHandler) -> Void)?

  private var context: ChannelHandlerContext?
  var calls: [Int32: HTTP2ClientCall] = [:]
  var congested: [Int32: HTTP2ClientCall] = [:]
  private var isReading = false
  private var flushScheduled = false
  private var isClosed = false
  /// GOAWAY received or sent: no new streams; close when the last one ends.
  var isDraining = false
  /// The buffers written to the socket so far (each flush writes at most one), for tests.
  private(set) var writes = 0

  init(settings: HTTP2Settings, authority: String, requestBufferHighWater: Int, logger: Logger) {
    self.session = NGHTTP2Session(role: .client, settings: settings)
    self.authority = authority
    self.requestBufferHighWater = requestBufferHighWater
    self.logger = logger
  }

  /// Whether new calls may be opened on this connection.
  var isUsable: Bool { !isDraining && !isClosed && context != nil }

  /// The number of calls in flight.
  var activeCalls: Int { calls.count }

  // MARK: Calls

  /// Submits `call`'s request headers.
  /// - Returns: false when nghttp2 refused (no stream ids left, GOAWAY received).
  func open(_ call: HTTP2ClientCall) -> Bool {
    guard isUsable else { return false }
    let timeout = call.deadline.map { deadline -> Duration in
      let remaining = deadline - NIODeadline.now()
      return .nanoseconds(max(remaining.nanoseconds, 1))
    }
    GRPCHeaders.request(
      path: call.method.path, authority: authority, timeout: timeout,
      encoding: call.options.compression, metadata: call.options.metadata,
      into: &session.headers)
    guard let streamID = session.submitRequest() else {
      isDraining = true
      onUnusable?(self)
      return false
    }
    calls[streamID] = call
    call.opened(streamID: streamID, on: self)
    scheduleFlush()
    return true
  }

  /// Appends a request message to `streamID`'s body.
  /// - Returns: whether the sender should wait for the body to drain.
  func appendMessage(_ message: RawMessage, compressor: GzipCompressor?, streamID: Int32) -> Bool {
    session.appendBody(streamID: streamID) {
      MessageFramer.frame(message, compressor: compressor, into: &$0)
    }
    scheduleFlush()
    return session.bufferedBodyBytes(streamID: streamID) > requestBufferHighWater
  }

  /// Half-closes `streamID` once its queued body is sent.
  func finishBody(streamID: Int32) {
    session.appendBody(streamID: streamID, complete: true) { _ in }
    scheduleFlush()
  }

  /// Resets `streamID`.
  func reset(streamID: Int32, errorCode: UInt32) {
    guard calls.removeValue(forKey: streamID) != nil else { return }
    congested[streamID] = nil
    session.resetStream(streamID, errorCode: errorCode)
    scheduleFlush()
  }

  /// Returns `count` bytes of `streamID`'s window to the server.
  func consume(streamID: Int32, count: Int) {
    guard count > 0 else { return }
    session.consumeStream(streamID, count)
    scheduleFlush()
  }

  func isCongested(streamID: Int32) -> Bool {
    session.bufferedBodyBytes(streamID: streamID) > requestBufferHighWater / 2
  }

  func awaitDrain(of call: HTTP2ClientCall) {
    guard let streamID = call.streamID else { return }
    congested[streamID] = call
  }

  /// Sends GOAWAY and closes once the calls in flight are done.
  func closeGracefully() {
    guard !isClosed else { return }
    isDraining = true
    session.goAway()
    flush()
    if calls.isEmpty { close() }
  }

  /// Closes at once; calls in flight end as UNAVAILABLE.
  func close() {
    guard !isClosed, let context else { return }
    isClosed = true
    context.close(promise: nil)
  }

  // MARK: Channel events

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    session.start()
    if context.channel.isActive { flush() }
  }

  func channelActive(context: ChannelHandlerContext) {
    flush()
    context.fireChannelActive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let buffer = unwrapInboundIn(data)
    isReading = true
    do {
      try buffer.withUnsafeReadableBytes { bytes in
        try session.receive(bytes)
        handleEvents()
      }
    } catch {
      logger.debug("HTTP/2 connection error", metadata: ["error": "\(error)"])
      var output = context.channel.allocator.buffer(capacity: 64)
      try? session.send(into: &output)
      session.events.removeAll()
      if output.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(output), promise: nil) }
      close()
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
    tearDown(RPCStatus(code: .unavailable, message: "the connection to the server was lost"))
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    logger.debug("connection error", metadata: ["error": "\(error)"])
    close()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    tearDown(RPCStatus(code: .unavailable, message: "the connection to the server was closed"))
    self.context = nil
  }

  private func tearDown(_ status: RPCStatus) {
    isClosed = true
    let remaining = calls.values
    calls.removeAll()
    congested.removeAll()
    for call in remaining {
      call.connection = nil
      call.inbound.close()
      call.complete(status)
    }
    if let onUnusable {
      self.onUnusable = nil
      onUnusable(self)
    }
  }

  // MARK: Output

  func scheduleFlush() {
    guard !isReading, !flushScheduled, let context else { return }
    flushScheduled = true
    context.eventLoop.assumeIsolated().execute {
      self.flushScheduled = false
      self.flush()
    }
  }

  func flush() {
    guard let context, !isClosed, context.channel.isActive, context.channel.isWritable else {
      return
    }
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
      writes += 1
      context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
    if !congested.isEmpty {
      for (streamID, call) in congested where !isCongested(streamID: streamID) {
        congested[streamID] = nil
        call.bodyDrained()
      }
    }
    if !session.isAlive || (isDraining && calls.isEmpty && !session.wantsWrite) { close() }
  }
}

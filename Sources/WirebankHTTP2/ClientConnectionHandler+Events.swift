import WirebankRPC

/// What nghttp2 raises on a client connection: response headers, data and trailers for the
/// calls, stream closes, GOAWAY.
extension ClientConnectionHandler {
  /// Handles what nghttp2 raised while reading or sending, in order.
  func handleEvents() {
    session.drainEvents(handle)
  }

  private func handle(_ event: NGHTTP2Event) {
    switch event {
    case .headers(let streamID, let fields, let endStream, let oversized):
      guard let call = calls[streamID] else { return }
      if oversized {
        failCall(
          call, RPCStatus(code: .internalError, message: "the response headers are too large"))
      } else if call.headers == nil {
        responseHeadersReceived(call, block: session.headerBlock(fields), endStream: endStream)
      } else {
        let status = ResponseHead.parseTrailers(session.headerBlock(fields))
        finishCall(call, status)
      }
    case .data(let streamID, let bytes):
      session.consumeConnection(bytes.count)
      guard let call = calls[streamID] else {
        session.consumeStream(streamID, bytes.count)
        return
      }
      switch call.inbound.receivedData(bytes) {
      case .consume(let count):
        session.consumeStream(streamID, count)
        call.wakeReceiver()
      case .fail(let status):
        failCall(call, status)
      }
    case .endStream(let streamID):
      // END_STREAM on DATA, without trailers: the stream closes next, and the call with it.
      guard let call = calls[streamID] else { return }
      _ = call.inbound.receivedEnd()
    case .streamClosed(let streamID, let errorCode):
      congested[streamID] = nil
      guard let call = calls.removeValue(forKey: streamID) else { break }
      call.connection = nil
      if errorCode == HTTP2ErrorCode.noError {
        call.complete(
          RPCStatus(code: .internalError, message: "the server closed the stream without a status"))
      } else {
        call.inbound.close()
        call.complete(StatusMapping.status(forReset: errorCode))
      }
    case .goAway:
      isDraining = true
      if let onUnusable {
        self.onUnusable = nil
        onUnusable(self)
      }
    case .pingAcknowledged, .remoteSettingsChanged, .bodyDrained, .endStreamSent:
      break
    }
    if isDraining && calls.isEmpty { scheduleFlush() }
  }

  private func responseHeadersReceived(
    _ call: HTTP2ClientCall, block: HeaderBlock, endStream: Bool
  ) {
    let head = ResponseHead.parse(block)
    if endStream {
      // Trailers-only (or a bare HTTP error response).
      call.headersReceived(Metadata())
      let status =
        head.immediateStatus
        ?? RPCStatus(
          code: .unknown, message: "the server's response carries no grpc-status",
          trailers: head.metadata)
      finishCall(call, status)
      return
    }
    if let status = head.immediateStatus {
      failCall(call, status)
      return
    }
    guard let encoding = head.encoding else {
      failCall(
        call,
        RPCStatus(code: .internalError, message: "the server used an unsupported grpc-encoding"))
      return
    }
    if encoding == .gzip { call.inbound.setDecompressor(GzipDecompressor()) }
    call.headersReceived(head.metadata)
  }

  /// The call ended with the server's status.
  private func finishCall(_ call: HTTP2ClientCall, _ status: RPCStatus) {
    var status = status
    if case .failed(let failure) = call.inbound.state { status = failure }
    if case .fail(let failure) = call.inbound.receivedEnd() { status = failure }
    call.complete(status)
  }

  /// The call ended on our side (bad response): reset the stream.
  private func failCall(_ call: HTTP2ClientCall, _ status: RPCStatus) {
    call.fail(status)
  }
}

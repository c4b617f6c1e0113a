import CNghttp2
import NIOCore

/// One `nghttp2_session`: HTTP/2 framing, HPACK and flow control for one connection.
///
/// Not thread-safe: its owner confines it to the connection's event loop. Input goes in with
/// `receive(_:)`, output comes out with `send(into:)`. nghttp2's callbacks never act: they only
/// append `NGHTTP2Event`s to `events` (and copy header fields, whose buffers nghttp2 reuses),
/// so the owner handles everything after the library call has returned and may then submit
/// frames freely. No I/O happens here, which makes the wrapper testable with two sessions
/// wired back to back.
final class NGHTTP2Session {
  /// Which end of the connection this session is.
  enum Role { case server, client }

  /// The outgoing body of one stream, read by nghttp2's data provider.
  struct OutboundBody {
    /// Bytes waiting to be framed into DATA.
    var buffer: ByteBuffer
    /// No more bytes will be appended: end the body once the buffer is drained.
    var isComplete = false
    /// End the stream with the last DATA frame (true) or leave it open for trailers (false).
    var endsStream: Bool
    /// The data provider returned NGHTTP2_ERR_DEFERRED and waits for `resumeData`.
    var isDeferred = false
  }

  let role: Role
  let settings: HTTP2Settings
  /// Events raised by callbacks since the owner last drained them.
  var events: [NGHTTP2Event] = []
  /// Bodies being sent, by stream.
  var outbound: [Int32: OutboundBody] = [:]
  /// A header list reused for every submission.
  var headers = HeaderListBuilder()

  private(set) var session: OpaquePointer?
  private var headerStorage: [UInt8] = []
  private var headerRanges: [HeaderBlock.FieldRange] = []
  private var block = BlockInProgress()

  /// The header block being received (between on_begin_headers and on_frame_recv).
  private struct BlockInProgress {
    var isOpen = false
    var firstRange = 0
    var size = 0
    var oversized = false
  }

  /// A session for `role` that will advertise `settings` (sent by `start()`).
  init(role: Role, settings: HTTP2Settings) {
    self.role = role
    self.settings = settings
    var callbacks: OpaquePointer?
    nghttp2_session_callbacks_new(&callbacks)
    NGHTTP2Callbacks.install(on: callbacks)
    var option: OpaquePointer?
    nghttp2_option_new(&option)
    nghttp2_option_set_no_auto_window_update(option, 1)
    nghttp2_option_set_no_closed_streams(option, 1)
    if role == .client {
      // Until the server's SETTINGS arrive, assume the limit most servers advertise.
      nghttp2_option_set_peer_max_concurrent_streams(option, 100)
    }
    let userData = Unmanaged.passUnretained(self).toOpaque()
    var created: OpaquePointer?
    switch role {
    case .server: nghttp2_session_server_new2(&created, callbacks, userData, option)
    case .client: nghttp2_session_client_new2(&created, callbacks, userData, option)
    }
    session = created
    nghttp2_option_del(option)
    nghttp2_session_callbacks_del(callbacks)
  }

  deinit {
    nghttp2_session_del(session)
  }

  /// Queues our SETTINGS and the connection window update (the client preface is added by
  /// nghttp2 itself on the first `send`).
  func start() {
    var entries = [
      nghttp2_settings_entry(
        settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
        value: settings.maxConcurrentStreams),
      nghttp2_settings_entry(
        settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
        value: settings.initialWindowSize),
      nghttp2_settings_entry(
        settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: settings.maxFrameSize),
      nghttp2_settings_entry(
        settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
        value: settings.maxHeaderListSize),
    ]
    if role == .client {
      entries.append(
        nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0))
    }
    nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), entries, entries.count)
    nghttp2_session_set_local_window_size(
      session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(clamping: settings.connectionWindowSize))
  }

  // MARK: Input and output

  /// Feeds received bytes to nghttp2; callbacks append to `events`.
  ///
  /// `.data` events point into `bytes`: handle them before `bytes` is released.
  /// - Throws: `NGHTTP2Error` when the connection must close (bad preface, flood, …); nghttp2
  ///   may have queued a GOAWAY, so `send` once more before closing.
  func receive(_ bytes: UnsafeRawBufferPointer) throws(NGHTTP2Error) {
    compactHeaderStorage()
    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
    let result = nghttp2_session_mem_recv(
      session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    if result < 0 { throw NGHTTP2Error(code: result) }
  }

  /// Appends every frame nghttp2 has ready to `buffer` (callbacks may append events).
  /// - Throws: `NGHTTP2Error` when the session failed.
  func send(into buffer: inout ByteBuffer) throws(NGHTTP2Error) {
    while true {
      var data: UnsafePointer<UInt8>?
      let count = nghttp2_session_mem_send(session, &data)
      if count < 0 { throw NGHTTP2Error(code: count) }
      guard count > 0, let data else { return }
      buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: count))
    }
  }

  /// Whether nghttp2 still expects to read or write: false once the connection is done.
  var isAlive: Bool {
    nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
  }

  /// Whether nghttp2 has frames ready to send.
  var wantsWrite: Bool { nghttp2_session_want_write(session) != 0 }

  /// Removes and returns the queued events.
  func takeEvents() -> [NGHTTP2Event] {
    defer { events.removeAll(keepingCapacity: true) }
    return events
  }

  /// The fields of a `.headers` event's block.
  func headerBlock(_ fields: Range<Int>) -> HeaderBlock {
    HeaderBlock(storage: headerStorage, ranges: headerRanges[fields])
  }

  // MARK: Submitting frames

  /// Submits a response (server) on `streamID`: the fields in `headers`, then a body from
  /// the data provider unless `endStream` (a trailers-only or header-only response).
  /// - Returns: false when nghttp2 refused (the stream is gone).
  @discardableResult
  func submitResponse(streamID: Int32, endStream: Bool, bodyEndsStream: Bool = false) -> Bool {
    if !endStream {
      outbound[streamID] = OutboundBody(buffer: ByteBuffer(), endsStream: bodyEndsStream)
    }
    let result = headers.withNameValuePairs { pairs, count in
      if endStream {
        return nghttp2_submit_response(session, streamID, pairs, count, nil)
      }
      var provider = nghttp2_data_provider(
        source: nghttp2_data_source(ptr: nil), read_callback: NGHTTP2Callbacks.readBody)
      return nghttp2_submit_response(session, streamID, pairs, count, &provider)
    }
    headers.removeAll()
    if result != 0 { outbound[streamID] = nil }
    return result == 0
  }

  /// Submits a request (client) with the fields in `headers` and a body from the data
  /// provider (ending with END_STREAM on half-close).
  /// - Returns: the new stream's id, or nil when nghttp2 refused (no ids left, GOAWAY).
  func submitRequest() -> Int32? {
    var provider = nghttp2_data_provider(
      source: nghttp2_data_source(ptr: nil), read_callback: NGHTTP2Callbacks.readBody)
    let streamID = headers.withNameValuePairs { pairs, count in
      nghttp2_submit_request(session, nil, pairs, count, &provider, nil)
    }
    headers.removeAll()
    guard streamID > 0 else { return nil }
    outbound[streamID] = OutboundBody(buffer: ByteBuffer(), endsStream: true)
    return streamID
  }

  /// Submits the fields in `headers` as trailers ending `streamID`.
  func submitTrailers(streamID: Int32) {
    headers.withNameValuePairs { pairs, count in
      _ = nghttp2_submit_trailer(session, streamID, pairs, count)
    }
    headers.removeAll()
  }

  /// Resets `streamID` with `errorCode`.
  func resetStream(_ streamID: Int32, errorCode: UInt32) {
    nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
  }

  /// Whether the peer may still send on `streamID` (it has not sent END_STREAM, and the
  /// stream is not closed).
  func isRemoteOpen(_ streamID: Int32) -> Bool {
    nghttp2_session_get_stream_remote_close(session, streamID) == 0
  }

  /// Returns received bytes of the connection's window to the peer.
  func consumeConnection(_ count: Int) {
    guard count > 0 else { return }
    nghttp2_session_consume_connection(session, count)
  }

  /// Returns received bytes of `streamID`'s window to the peer.
  func consumeStream(_ streamID: Int32, _ count: Int) {
    guard count > 0 else { return }
    nghttp2_session_consume_stream(session, streamID, count)
  }

  /// Sends a PING whose acknowledgement carries `opaque` back.
  func ping(opaque: UInt64) {
    withUnsafeBytes(of: opaque) { bytes in
      _ = nghttp2_submit_ping(
        session, UInt8(NGHTTP2_FLAG_NONE.rawValue),
        bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
    }
  }

  /// Sends the first GOAWAY of a graceful shutdown (last stream id 2^31-1): the client opens
  /// no new streams, while those already on their way are still served.
  func shutdownNotice() {
    nghttp2_submit_shutdown_notice(session)
  }

  /// Sends GOAWAY: streams above the last one processed are refused, the rest may finish.
  func goAway(errorCode: UInt32 = HTTP2ErrorCode.noError) {
    nghttp2_submit_goaway(
      session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
      errorCode, nil, 0)
  }

  /// Ends the session with GOAWAY(`errorCode`); the connection closes once it is sent.
  func terminate(errorCode: UInt32) {
    nghttp2_session_terminate_session(session, errorCode)
  }

  /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS.
  var remoteMaxConcurrentStreams: UInt32 {
    nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
  }

  // MARK: Called by the callbacks

  func beginHeaderBlock() {
    block = BlockInProgress(isOpen: true, firstRange: headerRanges.count, size: 0, oversized: false)
  }

  func appendHeader(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
    // RFC 9113 §6.5.2: each field counts its name, its value and 32 bytes of overhead.
    block.size += name.count + value.count + 32
    if block.size > Int(settings.maxHeaderListSize) { block.oversized = true }
    guard !block.oversized else { return }
    let nameStart = headerStorage.count
    headerStorage.append(contentsOf: name)
    let valueStart = headerStorage.count
    headerStorage.append(contentsOf: value)
    headerRanges.append(
      HeaderBlock.FieldRange(
        nameStart: Int32(nameStart), nameCount: Int32(name.count),
        valueStart: Int32(valueStart), valueCount: Int32(value.count)))
  }

  func endHeaderBlock(streamID: Int32, endStream: Bool) {
    let fields =
      block.isOpen ? block.firstRange..<headerRanges.count : headerRanges.count..<headerRanges.count
    events.append(
      .headers(streamID: streamID, fields: fields, endStream: endStream, oversized: block.oversized)
    )
    block.isOpen = false
  }

  /// Keeps the fields of a header block still being received; drops the rest.
  private func compactHeaderStorage() {
    guard block.isOpen, block.firstRange < headerRanges.count else {
      headerStorage.removeAll(keepingCapacity: true)
      headerRanges.removeAll(keepingCapacity: true)
      block.firstRange = 0
      return
    }
    let kept = Array(headerRanges[block.firstRange...])
    let offset = Int(kept[0].nameStart)
    headerStorage.removeSubrange(..<offset)
    headerRanges = kept.map {
      HeaderBlock.FieldRange(
        nameStart: $0.nameStart - Int32(offset), nameCount: $0.nameCount,
        valueStart: $0.valueStart - Int32(offset), valueCount: $0.valueCount)
    }
    block.firstRange = 0
  }
}

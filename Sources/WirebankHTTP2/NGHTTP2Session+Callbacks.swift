import CNghttp2

/// nghttp2's callbacks: C functions that find their `NGHTTP2Session` through `user_data`
/// and only record what happened.
///
/// None of them calls back into nghttp2's send or receive paths; they copy header fields
/// (nghttp2 reuses those buffers), append events, and — for the data provider — copy queued
/// body bytes into nghttp2's frame buffer.
enum NGHTTP2Callbacks {
  /// Installs every callback on `callbacks`.
  static func install(on callbacks: OpaquePointer?) {
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
    nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSent)
  }

  private static func owner(_ userData: UnsafeMutableRawPointer?) -> NGHTTP2Session {
    Unmanaged<NGHTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
  }

  private static let onBeginHeaders: nghttp2_on_begin_headers_callback = {
    _, frame, userData in
    owner(userData).beginHeaderBlock()
    return 0
  }

  private static let onHeader: nghttp2_on_header_callback = {
    _, _, name, nameLength, value, valueLength, _, userData in
    owner(userData).appendHeader(
      name: UnsafeRawBufferPointer(start: name, count: nameLength),
      value: UnsafeRawBufferPointer(start: value, count: valueLength))
    return 0
  }

  private static let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
    guard let frame else { return 0 }
    let session = owner(userData)
    let header = frame.pointee.hd
    let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    switch UInt32(header.type) {
    case NGHTTP2_HEADERS.rawValue:
      session.endHeaderBlock(streamID: header.stream_id, endStream: endStream)
    case NGHTTP2_DATA.rawValue:
      if endStream { session.events.append(.endStream(streamID: header.stream_id)) }
    case NGHTTP2_GOAWAY.rawValue:
      session.events.append(
        .goAway(
          lastStreamID: frame.pointee.goaway.last_stream_id,
          errorCode: frame.pointee.goaway.error_code))
    case NGHTTP2_PING.rawValue:
      if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0 {
        let opaque = withUnsafeBytes(of: frame.pointee.ping.opaque_data) {
          $0.loadUnaligned(as: UInt64.self)
        }
        session.events.append(.pingAcknowledged(opaque: opaque))
      }
    case NGHTTP2_SETTINGS.rawValue:
      if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
        session.events.append(.remoteSettingsChanged)
      }
    default:
      break
    }
    return 0
  }

  private static let onFrameSent: nghttp2_on_frame_send_callback = { _, frame, userData in
    guard let frame else { return 0 }
    let header = frame.pointee.hd
    let type = UInt32(header.type)
    if (type == NGHTTP2_HEADERS.rawValue || type == NGHTTP2_DATA.rawValue)
      && header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    {
      owner(userData).events.append(.endStreamSent(streamID: header.stream_id))
    }
    return 0
  }

  private static let onDataChunk: nghttp2_on_data_chunk_recv_callback = {
    _, _, streamID, data, length, userData in
    owner(userData).events.append(
      .data(streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length)))
    return 0
  }

  private static let onStreamClose: nghttp2_on_stream_close_callback = {
    _, streamID, errorCode, userData in
    let session = owner(userData)
    session.outbound[streamID] = nil
    session.events.append(.streamClosed(streamID: streamID, errorCode: errorCode))
    return 0
  }

  /// The data provider of every body: copies what the stream has queued.
  static let readBody: nghttp2_data_source_read_callback = {
    _, streamID, buffer, length, flags, _, userData in
    guard let buffer, let flags else {
      return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
    return owner(userData).readBody(
      streamID: streamID, into: UnsafeMutableRawBufferPointer(start: buffer, count: length),
      flags: &flags.pointee)
  }
}

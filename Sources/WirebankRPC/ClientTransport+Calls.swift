import Synchronization
import WirebankProtobuf

/// The typed calls generated clients make, built on `ClientTransport.withStream`.
///
/// Each call ends in one of two ways: it returns (the server ended with OK and sent what the
/// call kind requires), or it throws an `RPCError` with the final status: the server's, or one
/// the client made up (INTERNAL for a response that does not decode, UNIMPLEMENTED for a wrong
/// number of responses, CANCELLED or DEADLINE_EXCEEDED from the transport). An error thrown by
/// a `requests` closure is rethrown as is, after the call is cancelled.
extension ClientTransport {
  /// Calls a unary method and returns its response.
  /// - Throws: `RPCError` with the call's status when it does not end with OK.
  public func unary<Req: ProtobufMessage, Resp: ProtobufMessage>(
    _ descriptor: MethodDescriptor, request: Req, options: CallOptions
  ) async throws -> Resp {
    let response: ClientResponse<Resp> = try await unaryWithMetadata(
      descriptor, request: request, options: options)
    return response.message
  }

  /// Calls a unary method and returns its response with the headers and trailers.
  /// - Throws: `RPCError` with the call's status when it does not end with OK.
  public func unaryWithMetadata<Req: ProtobufMessage, Resp: ProtobufMessage>(
    _ descriptor: MethodDescriptor, request: Req, options: CallOptions
  ) async throws -> ClientResponse<Resp> {
    let bytes = try encodeRequest(request)
    return try await withStream(descriptor, options: options) { stream in
      try await sendOnly(bytes, on: stream, options: options)
      return try await singleResponse(from: stream, options: options)
    }
  }

  /// Calls a client-streaming method: `requests` writes the requests, then the response is
  /// returned.
  /// - Throws: `RPCError` with the call's status when it does not end with OK, or what
  ///   `requests` threw.
  public func clientStreaming<Req: ProtobufMessage, Resp: ProtobufMessage>(
    _ descriptor: MethodDescriptor, options: CallOptions,
    requests: @escaping @Sendable (RequestWriter<Req>) async throws -> Void
  ) async throws -> Resp {
    try await withStream(descriptor, options: options) { stream in
      try await withRequestProducer(on: stream, options: options, requests: requests) {
        let response: ClientResponse<Resp> = try await singleResponse(
          from: stream, options: options)
        return response.message
      }
    }
  }

  /// Calls a server-streaming method and hands the responses to `responses`.
  ///
  /// If `responses` returns before the stream ends, the call is cancelled.
  /// - Throws: what `responses` throws (iterating the stream throws `RPCError` for a call that
  ///   does not end with OK).
  public func serverStreaming<Req: ProtobufMessage, Resp: ProtobufMessage, Result: Sendable>(
    _ descriptor: MethodDescriptor, request: Req, options: CallOptions,
    responses: @Sendable (ResponseStream<Resp>) async throws -> Result
  ) async throws -> Result {
    let bytes = try encodeRequest(request)
    return try await withStream(descriptor, options: options) { stream in
      try await sendOnly(bytes, on: stream, options: options)
      return try await responses(
        ResponseStream(stream: stream, options: options.responseDecodingOptions))
    }
  }

  /// Calls a bidirectional-streaming method: `requests` writes while `responses` reads.
  ///
  /// If `responses` returns before the stream ends, the call is cancelled.
  /// - Throws: what `requests` or `responses` throws (iterating the stream throws `RPCError`
  ///   for a call that does not end with OK).
  public func bidirectionalStreaming<
    Req: ProtobufMessage, Resp: ProtobufMessage, Result: Sendable
  >(
    _ descriptor: MethodDescriptor, options: CallOptions,
    requests: @escaping @Sendable (RequestWriter<Req>) async throws -> Void,
    responses: @Sendable (ResponseStream<Resp>) async throws -> Result
  ) async throws -> Result {
    try await withStream(descriptor, options: options) { stream in
      try await withRequestProducer(on: stream, options: options, requests: requests) {
        try await responses(
          ResponseStream(stream: stream, options: options.responseDecodingOptions))
      }
    }
  }
}

/// Sends the single request of a unary or server-streaming call and half-closes.
///
/// A failed send is not thrown: it means the call has ended, and its status says why.
private func sendOnly(_ bytes: [UInt8], on stream: any ClientStream, options: CallOptions)
  async throws
{
  try? await stream.send(RawMessage(bytes, compressed: options.compressesRequests))
  await stream.finish()
}

/// Reads the single response of a unary or client-streaming call, and the final status.
///
/// A count other than one with an OK status is a cardinality violation: UNIMPLEMENTED per
/// `doc/statuscodes.md`.
private func singleResponse<Resp: ProtobufMessage>(
  from stream: any ClientStream, options: CallOptions
) async throws -> ClientResponse<Resp> {
  guard let raw = await stream.receive() else {
    let status = await stream.status()
    guard status.code == .ok else { throw RPCError(status: status) }
    throw RPCError(code: .unimplemented, message: "expected one response message, got none")
  }
  let response: Resp
  do {
    response = try decodeResponse(raw, options: options.responseDecodingOptions)
  } catch {
    stream.cancel()
    throw error
  }
  if await stream.receive() != nil {
    stream.cancel()
    throw RPCError(
      code: .unimplemented, message: "expected one response message, got more than one")
  }
  let status = await stream.status()
  guard status.code == .ok else { throw RPCError(status: status) }
  return ClientResponse(
    message: response, headers: await stream.responseHeaders(), trailers: status.trailers)
}

/// Runs `requests` in a child task while `consume` reads responses, then settles the call.
///
/// Errors the stream raised while writing are not rethrown (the status says why the call
/// ended); any other error from `requests` cancels the call and is rethrown.
private func withRequestProducer<Req: ProtobufMessage, Result: Sendable>(
  on stream: any ClientStream, options: CallOptions,
  requests: @escaping @Sendable (RequestWriter<Req>) async throws -> Void,
  consume: () async throws -> Result
) async throws -> Result {
  let progress = CallProgress()
  let writer = RequestWriter<Req> { message, compressed in
    // Once the responses are done the producer is cancelled; stop it here, since a transport
    // drops (rather than refuses) messages sent after the call ended with OK.
    try Task.checkCancellation()
    let bytes = try encodeRequest(message)
    do {
      try await stream.send(
        RawMessage(bytes, compressed: compressed ?? options.compressesRequests))
    } catch {
      progress.sendFailed.store(true, ordering: .releasing)
      throw error
    }
  }
  let (outcome, producerError) = await withTaskGroup(of: (any Error)?.self) { group in
    group.addTask {
      do {
        try await requests(writer)
        await stream.finish()
        return nil
      } catch {
        if progress.callSettled || Task.isCancelled { return nil }
        stream.cancel()
        return error
      }
    }
    let outcome: Swift.Result<Result, any Error>
    do {
      outcome = .success(try await consume())
    } catch {
      outcome = .failure(error)
    }
    progress.responsesDone.store(true, ordering: .releasing)
    stream.cancel()
    group.cancelAll()
    var producerError: (any Error)?
    for await error in group where error != nil { producerError = error }
    return (outcome, producerError)
  }
  if let producerError { throw producerError }
  return try outcome.get()
}

/// What the typed layer knows about how far a streaming call has got.
private final class CallProgress: Sendable {
  /// The response side has finished (the call is over or being cancelled).
  let responsesDone = Atomic(false)
  /// A send failed, so the call has ended and its status explains it.
  let sendFailed = Atomic(false)

  /// Whether an error in the request producer is explained by the call's own end.
  var callSettled: Bool {
    responsesDone.load(ordering: .acquiring) || sendFailed.load(ordering: .acquiring)
  }
}

/// Code that runs around every server call of a router: authentication, logging, metrics,
/// limits. Interceptors see the call's context (method, metadata, deadline, peer) and may wrap
/// the call to watch or change its messages.
public protocol ServerInterceptor: Sendable {
  /// Handles `call`, normally by calling `next` with `call` or a wrapper of it.
  /// - Throws: an `RPCError` to end the call with that status (without calling `next`, say);
  ///   what `next` throws passes through unless the interceptor handles it.
  func intercept(
    _ call: any ServerCall, next: @Sendable (any ServerCall) async throws -> Void
  ) async throws
}

/// Code that runs around every call a client makes through a transport: credentials, default
/// deadlines, logging. It may change the method's options or call `next` more than once.
public protocol ClientInterceptor: Sendable {
  /// Runs the call, normally by calling `next` with (possibly changed) options.
  func intercept<Result: Sendable>(
    _ method: MethodDescriptor, options: CallOptions,
    next: @Sendable (CallOptions) async throws -> Result
  ) async throws -> Result
}

extension MethodRouter {
  /// A router over the handlers of `services`, each wrapped in `interceptors` (the first
  /// outermost).
  public init(services: [any RegistrableService], interceptors: [any ServerInterceptor]) {
    self.init(
      handlers: services.flatMap(\.methodHandlers).map { $0.intercepted(by: interceptors) })
  }
}

/// A transport whose calls pass through interceptors before reaching `base`.
public struct InterceptedClientTransport: ClientTransport {
  /// The transport the calls end up on.
  public let base: any ClientTransport
  /// The interceptors, the first outermost.
  public let interceptors: [any ClientInterceptor]

  /// Calls through `base`, wrapped in `interceptors` (the first outermost).
  public init(base: any ClientTransport, interceptors: [any ClientInterceptor]) {
    self.base = base
    self.interceptors = interceptors
  }

  public func withStream<Result: Sendable>(
    _ method: MethodDescriptor, options: CallOptions,
    _ body: @Sendable (any ClientStream) async throws -> Result
  ) async throws -> Result {
    try await run(at: 0, method, options: options, body)
  }

  private func run<Result: Sendable>(
    at position: Int, _ method: MethodDescriptor, options: CallOptions,
    _ body: @Sendable (any ClientStream) async throws -> Result
  ) async throws -> Result {
    guard position < interceptors.count else {
      return try await base.withStream(method, options: options, body)
    }
    return try await interceptors[position].intercept(method, options: options) { options in
      try await run(at: position + 1, method, options: options, body)
    }
  }
}

extension ClientTransport {
  /// This transport with `interceptors` around every call (the first outermost).
  public func intercepted(by interceptors: [any ClientInterceptor]) -> InterceptedClientTransport {
    InterceptedClientTransport(base: self, interceptors: interceptors)
  }
}

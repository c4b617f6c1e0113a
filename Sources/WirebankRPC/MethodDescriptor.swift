/// How many messages each side of a call sends.
public enum CallKind: Sendable, Hashable, CustomStringConvertible {
  /// One request, one response.
  case unary
  /// Any number of requests, one response.
  case clientStreaming
  /// One request, any number of responses.
  case serverStreaming
  /// Any number of requests and responses, interleaved as the two sides choose.
  case bidirectionalStreaming

  /// Whether the client sends exactly one request message.
  public var hasSingleRequest: Bool { self == .unary || self == .serverStreaming }

  /// Whether the server sends exactly one response message.
  public var hasSingleResponse: Bool { self == .unary || self == .clientStreaming }

  /// The kind's name, as in `server streaming`.
  public var description: String {
    switch self {
    case .unary: return "unary"
    case .clientStreaming: return "client streaming"
    case .serverStreaming: return "server streaming"
    case .bidirectionalStreaming: return "bidirectional streaming"
    }
  }
}

/// One RPC method: the service it belongs to, its name and its call kind.
public struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
  /// The service's full Protobuf name, as in `wirebank.lending.origination.v1.Origination`.
  public let service: String
  /// The method's name as declared in the service, as in `SubmitApplication`.
  public let method: String
  /// How many messages each side sends.
  public let kind: CallKind

  /// A descriptor of `method` in `service`.
  public init(service: String, method: String, kind: CallKind) {
    self.service = service
    self.method = method
    self.kind = kind
  }

  /// The HTTP/2 `:path` of the method: `/service/method`.
  public var path: String { "/\(service)/\(method)" }

  /// The method's path.
  public var description: String { path }
}

/// One RPC service: its full name and its methods.
public struct ServiceDescriptor: Sendable, Hashable, CustomStringConvertible {
  /// The service's full Protobuf name, as in `wirebank.disputes.v1.Disputes`.
  public let fullName: String
  /// The service's methods, in declaration order.
  public let methods: [MethodDescriptor]

  /// A descriptor of the service `fullName` with `methods`.
  public init(fullName: String, methods: [MethodDescriptor]) {
    self.fullName = fullName
    self.methods = methods
  }

  /// The method called `name`, if the service has one.
  public func method(named name: String) -> MethodDescriptor? {
    methods.first { $0.method == name }
  }

  /// The service's full name.
  public var description: String { fullName }
}

/// A service implementation a server can host: it hands over one handler per method.
///
/// Generated code conforms each service's protocol to this, wrapping its methods in
/// `MethodHandler`s, so hosting a service is `MethodRouter(services: [myService])`.
public protocol RegistrableService: Sendable {
  /// The handlers of the methods this service implements.
  var methodHandlers: [MethodHandler] { get }
}

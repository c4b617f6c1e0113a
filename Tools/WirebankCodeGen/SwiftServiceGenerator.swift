/// Emits a service's descriptors, the protocol a server implements and the typed client.
struct SwiftServiceGenerator {
  let service: ProtoService
  let file: ProtoFile
  let index: TypeIndex

  /// `Grpc_Testing_TestService`; a service named like its file's prefix keeps its own name.
  var swiftName: String {
    let prefix = Naming.swiftPrefix(package: file.package, option: file.swiftPrefix)
    if !prefix.isEmpty, service.name.hasPrefix(prefix) { return service.name }
    return prefix + service.name
  }

  private func kind(_ method: ProtoMethod) -> String {
    switch (method.clientStreaming, method.serverStreaming) {
    case (false, false): return "unary"
    case (true, false): return "clientStreaming"
    case (false, true): return "serverStreaming"
    case (true, true): return "bidirectionalStreaming"
    }
  }

  private func types(_ method: ProtoMethod) -> (request: String, response: String) {
    (index[method.inputType].swiftName, index[method.outputType].swiftName)
  }

  func write(to out: inout CodeWriter) {
    out.docComment(service.comment.isEmpty ? "The service `\(service.fullName)`." : service.comment)
    out.block("public enum \(swiftName) {") { out in
      out.line("/// The service's full name and methods.")
      out.line("public static let descriptor = ServiceDescriptor(")
      out.line("  fullName: \"\(service.fullName)\",")
      out.line("  methods: [\(service.methods.map { "Method.\(Naming.swiftMethod($0.name))" }.joined(separator: ", "))])")
      out.line()
      out.line("/// One descriptor per method.")
      out.block("public enum Method {") { out in
        for method in service.methods {
          out.docComment("`\(service.fullName)/\(method.name)`.")
          out.line("public static let \(Naming.swiftMethod(method.name)) = MethodDescriptor(")
          out.line("  service: \"\(service.fullName)\", method: \"\(method.name)\", kind: .\(kind(method)))")
        }
      }
      out.line()
      writeServerProtocol(to: &out)
      out.line()
      writeClient(to: &out)
    }
    out.line()
    writeHandlers(to: &out)
  }

  private func writeServerProtocol(to out: inout CodeWriter) {
    out.line("/// What a server of `\(service.fullName)` implements.")
    out.block("public protocol ServiceProtocol: RegistrableService {") { out in
      for method in service.methods {
        let (request, response) = types(method)
        out.docComment(method.comment)
        let name = Naming.swiftMethod(method.name)
        switch (method.clientStreaming, method.serverStreaming) {
        case (false, false):
          out.line("func \(name)(_ request: \(request), context: ServerContext) async throws -> \(response)")
        case (true, false):
          out.line("func \(name)(_ requests: RequestStream<\(request)>, context: ServerContext) async throws -> \(response)")
        case (false, true):
          out.line("func \(name)(_ request: \(request), responses: ResponseWriter<\(response)>, context: ServerContext) async throws")
        case (true, true):
          out.line("func \(name)(_ requests: RequestStream<\(request)>, responses: ResponseWriter<\(response)>, context: ServerContext) async throws")
        }
      }
    }
  }

  private func writeHandlers(to out: inout CodeWriter) {
    out.block("extension \(swiftName).ServiceProtocol {") { out in
      out.line("/// The handlers a server registers for this service.")
      out.block("public var methodHandlers: [MethodHandler] {") { out in
        out.block("[", close: "]") { out in
          for method in service.methods {
            let name = Naming.swiftMethod(method.name)
            let descriptor = "\(swiftName).Method.\(name)"
            switch (method.clientStreaming, method.serverStreaming) {
            case (false, false), (true, false):
              out.line(".\(kind(method))(\(descriptor)) { try await self.\(name)($0, context: $1) },")
            case (false, true), (true, true):
              out.line(".\(kind(method))(\(descriptor)) { try await self.\(name)($0, responses: $1, context: $2) },")
            }
          }
        }
      }
    }
  }

  private func writeClient(to out: inout CodeWriter) {
    out.line("/// A typed client of `\(service.fullName)` over any transport.")
    out.block("public struct Client: Sendable {") { out in
      out.line("/// The transport calls go through.")
      out.line("public let transport: any ClientTransport")
      out.line()
      out.line("/// A client that sends its calls through `transport`.")
      out.line("public init(transport: any ClientTransport) { self.transport = transport }")
      for method in service.methods {
        let (request, response) = types(method)
        let name = Naming.swiftMethod(method.name)
        let descriptor = "Method.\(name)"
        out.line()
        out.docComment(method.comment)
        switch (method.clientStreaming, method.serverStreaming) {
        case (false, false):
          out.block("public func \(name)(_ request: \(request), options: CallOptions = CallOptions()) async throws -> \(response) {") { out in
            out.line("try await transport.unary(\(descriptor), request: request, options: options)")
          }
        case (true, false):
          out.line("public func \(name)(")
          out.line("  options: CallOptions = CallOptions(),")
          out.line("  requests: @escaping @Sendable (RequestWriter<\(request)>) async throws -> Void")
          out.block(") async throws -> \(response) {") { out in
            out.line("try await transport.clientStreaming(\(descriptor), options: options, requests: requests)")
          }
        case (false, true):
          out.line("public func \(name)<Result: Sendable>(")
          out.line("  _ request: \(request), options: CallOptions = CallOptions(),")
          out.line("  responses: @Sendable (ResponseStream<\(response)>) async throws -> Result")
          out.block(") async throws -> Result {") { out in
            out.line("try await transport.serverStreaming(\(descriptor), request: request, options: options, responses: responses)")
          }
        case (true, true):
          out.line("public func \(name)<Result: Sendable>(")
          out.line("  options: CallOptions = CallOptions(),")
          out.line("  requests: @escaping @Sendable (RequestWriter<\(request)>) async throws -> Void,")
          out.line("  responses: @Sendable (ResponseStream<\(response)>) async throws -> Result")
          out.block(") async throws -> Result {") { out in
            out.line("try await transport.bidirectionalStreaming(")
            out.line("  \(descriptor), options: options, requests: requests, responses: responses)")
          }
        }
      }
    }
  }
}

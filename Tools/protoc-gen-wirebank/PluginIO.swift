import PluginProtos
import WirebankProtobuf

/// Decoding protoc's request and encoding the response, through Wirebank's own runtime.
enum PluginIO {
  /// Descriptor sets of large schemas with source info exceed the RPC default of 4 MiB.
  static let options = DecodingOptions(maximumMessageSize: 1 << 30, maximumDepth: 100)

  static func decodeRequest(_ bytes: [UInt8]) throws -> CodeGeneratorRequest {
    try CodeGeneratorRequest(serializedBytes: bytes, options: options)
  }

  static func encodeResponse(_ response: CodeGeneratorResponse) throws -> [UInt8] {
    try response.serializedBytes()
  }
}

/// The IDL-neutral description of .proto files that the generators read.
///
/// The plugin builds it from protoc's `CodeGeneratorRequest`; tests can build it by hand.
public struct ProtoFile: Sendable {
  public var path: String
  public var package: String
  public var isProto3: Bool
  /// `option swift_prefix`, when the file sets it.
  public var swiftPrefix: String?
  public var dependencies: [String]
  public var messages: [ProtoMessage]
  public var enums: [ProtoEnum]
  public var services: [ProtoService]

  public init(
    path: String, package: String, isProto3: Bool, swiftPrefix: String?, dependencies: [String],
    messages: [ProtoMessage], enums: [ProtoEnum], services: [ProtoService]
  ) {
    self.path = path
    self.package = package
    self.isProto3 = isProto3
    self.swiftPrefix = swiftPrefix
    self.dependencies = dependencies
    self.messages = messages
    self.enums = enums
    self.services = services
  }
}

/// A message type; `fullName` has no leading dot (`wirebank.common.v1.Money`).
public struct ProtoMessage: Sendable {
  public var name: String
  public var fullName: String
  public var fields: [ProtoField]
  /// Real oneofs only; the synthetic oneofs of proto3 `optional` fields are not listed.
  public var oneofs: [String]
  public var messages: [ProtoMessage]
  public var enums: [ProtoEnum]
  public var isMapEntry: Bool
  public var comment: String

  public init(
    name: String, fullName: String, fields: [ProtoField], oneofs: [String],
    messages: [ProtoMessage], enums: [ProtoEnum], isMapEntry: Bool, comment: String
  ) {
    self.name = name
    self.fullName = fullName
    self.fields = fields
    self.oneofs = oneofs
    self.messages = messages
    self.enums = enums
    self.isMapEntry = isMapEntry
    self.comment = comment
  }
}

/// The scalar or composite type of a field.
public enum ProtoType: String, Sendable {
  case double, float, int64, uint64, int32, fixed64, fixed32, bool, string, bytes, uint32
  case sfixed32, sfixed64, sint32, sint64, message, `enum`
}

/// How a field holds its value(s).
public enum ProtoCardinality: Sendable, Equatable {
  /// A proto3 field without presence: the default is not sent.
  case implicit
  /// A field with presence: proto2 `optional` or proto3 `optional`; singular messages too.
  case optional
  /// A member of the real oneof at this index of `ProtoMessage.oneofs`.
  case oneof(Int)
  case repeated
}

/// A field of a message.
public struct ProtoField: Sendable {
  public var name: String
  public var number: Int
  public var type: ProtoType
  /// The full name of the message or enum type, for those types.
  public var typeName: String?
  public var cardinality: ProtoCardinality
  public var isPacked: Bool
  public var comment: String

  public init(
    name: String, number: Int, type: ProtoType, typeName: String?,
    cardinality: ProtoCardinality, isPacked: Bool, comment: String
  ) {
    self.name = name
    self.number = number
    self.type = type
    self.typeName = typeName
    self.cardinality = cardinality
    self.isPacked = isPacked
    self.comment = comment
  }
}

/// An enum type.
public struct ProtoEnum: Sendable {
  public var name: String
  public var fullName: String
  public var values: [(name: String, number: Int32, comment: String)]
  public var comment: String

  public init(
    name: String, fullName: String, values: [(name: String, number: Int32, comment: String)],
    comment: String
  ) {
    self.name = name
    self.fullName = fullName
    self.values = values
    self.comment = comment
  }
}

/// A service and its methods.
public struct ProtoService: Sendable {
  public var name: String
  public var fullName: String
  public var methods: [ProtoMethod]
  public var comment: String

  public init(name: String, fullName: String, methods: [ProtoMethod], comment: String) {
    self.name = name
    self.fullName = fullName
    self.methods = methods
    self.comment = comment
  }
}

/// One method of a service.
public struct ProtoMethod: Sendable {
  public var name: String
  public var inputType: String
  public var outputType: String
  public var clientStreaming: Bool
  public var serverStreaming: Bool
  public var comment: String

  public init(
    name: String, inputType: String, outputType: String, clientStreaming: Bool,
    serverStreaming: Bool, comment: String
  ) {
    self.name = name
    self.inputType = inputType
    self.outputType = outputType
    self.clientStreaming = clientStreaming
    self.serverStreaming = serverStreaming
    self.comment = comment
  }
}

/// A file the generator produces, with its path relative to the output folder.
public struct GeneratedFile: Sendable, Equatable {
  public var name: String
  public var content: String

  public init(name: String, content: String) {
    self.name = name
    self.content = content
  }
}

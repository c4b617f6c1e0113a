/// Emits a message's Swift value type: stored properties, oneof enums, nested types.
struct SwiftMessageGenerator {
  let message: ProtoMessage
  let index: TypeIndex
  let fields: [SwiftField]

  init(message: ProtoMessage, index: TypeIndex) {
    self.message = message
    self.index = index
    fields = message.fields.map { SwiftField($0, index: index) }
  }

  var swiftName: String { index[message.fullName].swiftName }
  var localName: String { String(swiftName.split(separator: ".").last ?? "") }

  /// The Swift name of the enum that holds a oneof's cases.
  func oneofTypeName(_ oneofIndex: Int) -> String {
    let name = Naming.upperCamel(message.oneofs[oneofIndex][...])
    let clashes = message.messages.contains { $0.name == name } || message.enums.contains { $0.name == name }
    return clashes ? "OneOf_\(name)" : name
  }

  func oneofPropertyName(_ oneofIndex: Int) -> String {
    Naming.swiftField(message.oneofs[oneofIndex])
  }

  func fields(ofOneof oneofIndex: Int) -> [SwiftField] {
    fields.filter { $0.proto.cardinality == .oneof(oneofIndex) }
  }

  /// The struct declaration, with nested types inside it.
  func writeDeclaration(to out: inout CodeWriter) {
    out.docComment(message.comment.isEmpty ? "`\(message.fullName)`." : message.comment)
    out.block("public struct \(localName): ProtobufMessage {") { out in
      for field in fields where !isOneof(field) {
        out.docComment(field.proto.comment)
        out.line("public var \(field.name): \(field.propertyType) = \(field.defaultValue)")
      }
      for oneofIndex in message.oneofs.indices {
        out.line("public var \(oneofPropertyName(oneofIndex)): \(oneofTypeName(oneofIndex))? = nil")
      }
      out.line("/// Fields from the wire that this contract does not declare; sent on unchanged.")
      out.line("public var unknownFields = UnknownFields()")
      out.line()
      out.line("/// A message with every field at its default.")
      out.line("public init() {}")
      for oneofIndex in message.oneofs.indices {
        out.line()
        out.line("/// The oneof `\(message.oneofs[oneofIndex])`: at most one of its fields is set.")
        out.block("public enum \(oneofTypeName(oneofIndex)): Equatable, Sendable {") { out in
          for field in fields(ofOneof: oneofIndex) {
            out.docComment(field.proto.comment)
            out.line("case \(field.name)(\(field.elementType))")
          }
        }
      }
      for nested in message.enums {
        out.line()
        SwiftEnumGenerator(enumType: nested, index: index).write(to: &out)
      }
      for nested in message.messages where !nested.isMapEntry {
        out.line()
        SwiftMessageGenerator(message: nested, index: index).writeDeclaration(to: &out)
      }
    }
  }

  private func isOneof(_ field: SwiftField) -> Bool {
    if case .oneof = field.proto.cardinality { return true }
    return false
  }

  /// The `ProtobufMessage` conformance (conversion and text) of this message and its nested ones.
  func writeConformances(to out: inout CodeWriter) {
    let entry = index[message.fullName]
    out.line()
    out.block("extension \(swiftName) {") { out in
      out.line("public typealias CStruct = \(entry.cTypeName)")
      out.line("public static var cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { \(entry.cLowerName)__descriptor_ref }")
      out.line("public static var protoMessageName: String { \"\(message.fullName)\" }")
      out.line()
      SwiftConversionGenerator(message: self).write(to: &out)
      out.line()
      writeText(to: &out)
    }
    for nested in message.messages where !nested.isMapEntry {
      SwiftMessageGenerator(message: nested, index: index).writeConformances(to: &out)
    }
  }

  private func writeText(to out: inout CodeWriter) {
    out.block("public func writeText(to writer: inout TextWriter) {") { out in
      for field in fields.sorted(by: { $0.proto.number < $1.proto.number }) {
        let label = "\"\(field.proto.name)\""
        if let map = field.mapEntry {
          let order = map.key.proto.type == .bool ? "(by: { !$0 && $1 })" : "(by: <)"
          out.block("for key in \(field.name).keys.sorted\(order) {") { out in
            out.line("let value = \(field.name)[key] ?? \(map.value.implicitDefault)")
            out.line("writer.mapEntry(\(label)) { $0.field(\"key\", key); $0.field(\"value\", value) }")
          }
          continue
        }
        switch field.proto.cardinality {
        case .implicit:
          out.line("if \(field.isNotDefault(field.name)) { writer.field(\(label), \(field.name)) }")
        case .optional:
          out.line("if let value = \(field.name) { writer.field(\(label), value) }")
        case .repeated:
          out.line("for value in \(field.name) { writer.field(\(label), value) }")
        case .oneof(let oneofIndex):
          out.line("if case .\(field.name)(let value)? = \(oneofPropertyName(oneofIndex)) { writer.field(\(label), value) }")
        }
      }
      out.line("writer.unknownFields(unknownFields)")
    }
  }
}

import PluginProtos
import WirebankCodeGen

/// Builds the generator's model from protoc's descriptors, comments included.
struct ModelBuilder {
  /// `SourceCodeInfo` comments keyed by element path (`[4, 0, 2, 1]` = message 0, field 1).
  private var comments: [[Int32]: String] = [:]
  private let file: FileDescriptorProto
  private let isProto3: Bool

  init(_ file: FileDescriptorProto) {
    self.file = file
    isProto3 = file.syntax == "proto3"
    for location in file.sourceCodeInfo?.location ?? [] {
      let text = (location.leadingComments ?? "") + (location.trailingComments ?? "")
      if !text.isEmpty {
        comments[location.path] = text.trimmingTrailingNewlines()
      }
    }
  }

  func build() -> ProtoFile {
    let package = file.package ?? ""
    let prefix = package.isEmpty ? "" : package + "."
    return ProtoFile(
      path: file.name ?? "", package: package, isProto3: isProto3,
      swiftPrefix: file.options?.swiftPrefix, dependencies: file.dependency,
      messages: file.messageType.enumerated().map {
        message($0.element, scope: prefix, path: [4, Int32($0.offset)])
      },
      enums: file.enumType.enumerated().map {
        enumType($0.element, scope: prefix, path: [5, Int32($0.offset)])
      },
      services: file.service.enumerated().map { service($0.element, scope: prefix, path: [6, Int32($0.offset)]) })
  }

  private func message(_ descriptor: DescriptorProto, scope: String, path: [Int32]) -> ProtoMessage {
    let fullName = scope + (descriptor.name ?? "")
    var realOneofs: [Int: Int] = [:]
    var oneofNames: [String] = []
    for (position, oneof) in descriptor.oneofDecl.enumerated() {
      let isSynthetic = descriptor.field.contains {
        $0.oneofIndex == Int32(position) && $0.proto3Optional == true
      }
      if !isSynthetic {
        realOneofs[position] = oneofNames.count
        oneofNames.append(oneof.name ?? "")
      }
    }
    let fields = descriptor.field.enumerated().map { position, field in
      self.field(field, realOneofs: realOneofs, path: path + [2, Int32(position)])
    }
    return ProtoMessage(
      name: descriptor.name ?? "", fullName: fullName, fields: fields, oneofs: oneofNames,
      messages: descriptor.nestedType.enumerated().map {
        message($0.element, scope: fullName + ".", path: path + [3, Int32($0.offset)])
      },
      enums: descriptor.enumType.enumerated().map {
        enumType($0.element, scope: fullName + ".", path: path + [4, Int32($0.offset)])
      },
      isMapEntry: descriptor.options?.mapEntry == true, comment: comments[path] ?? "")
  }

  private func field(_ field: FieldDescriptorProto, realOneofs: [Int: Int], path: [Int32]) -> ProtoField {
    let type = ModelBuilder.protoType(field.type)
    let cardinality: ProtoCardinality
    if field.label == .repeated {
      cardinality = .repeated
    } else if let oneofIndex = field.oneofIndex, let real = realOneofs[Int(oneofIndex)] {
      cardinality = .oneof(real)
    } else if type == .message || field.proto3Optional == true || !isProto3 {
      cardinality = .optional
    } else {
      cardinality = .implicit
    }
    let packable = ![.string, .bytes, .message].contains(type)
    let isPacked = cardinality == .repeated && packable && (field.options?.packed ?? isProto3)
    var typeName = field.typeName
    if typeName?.hasPrefix(".") == true { typeName?.removeFirst() }
    return ProtoField(
      name: field.name ?? "", number: Int(field.number ?? 0), type: type,
      typeName: type == .message || type == .enum ? typeName : nil, cardinality: cardinality,
      isPacked: isPacked, comment: comments[path] ?? "")
  }

  private func enumType(_ descriptor: EnumDescriptorProto, scope: String, path: [Int32]) -> ProtoEnum {
    ProtoEnum(
      name: descriptor.name ?? "", fullName: scope + (descriptor.name ?? ""),
      values: descriptor.value.enumerated().map { position, value in
        (value.name ?? "", value.number ?? 0, comments[path + [2, Int32(position)]] ?? "")
      },
      comment: comments[path] ?? "")
  }

  private func service(_ descriptor: ServiceDescriptorProto, scope: String, path: [Int32]) -> ProtoService {
    ProtoService(
      name: descriptor.name ?? "", fullName: scope + (descriptor.name ?? ""),
      methods: descriptor.method.enumerated().map { position, method in
        ProtoMethod(
          name: method.name ?? "", inputType: String((method.inputType ?? "").drop { $0 == "." }),
          outputType: String((method.outputType ?? "").drop { $0 == "." }),
          clientStreaming: method.clientStreaming ?? false,
          serverStreaming: method.serverStreaming ?? false,
          comment: comments[path + [2, Int32(position)]] ?? "")
      },
      comment: comments[path] ?? "")
  }

  static func protoType(_ type: FieldDescriptorProto.TypeEnum?) -> ProtoType {
    switch type {
    case .double: .double
    case .float: .float
    case .int64: .int64
    case .uint64: .uint64
    case .int32: .int32
    case .fixed64: .fixed64
    case .fixed32: .fixed32
    case .bool: .bool
    case .string: .string
    case .bytes: .bytes
    case .uint32: .uint32
    case .enum: .enum
    case .sfixed32: .sfixed32
    case .sfixed64: .sfixed64
    case .sint32: .sint32
    case .sint64: .sint64
    case .message, .group, .unrecognized, nil: .message
    }
  }
}

extension String {
  func trimmingTrailingNewlines() -> String {
    var result = self
    while result.last == "\n" || result.last == " " { result.removeLast() }
    return result
  }
}

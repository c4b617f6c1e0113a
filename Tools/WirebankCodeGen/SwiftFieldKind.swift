/// How one field is represented in Swift and in C, derived once for all Swift generators.
struct SwiftField {
  let proto: ProtoField
  /// The Swift property name (escaped when a keyword).
  let name: String
  /// The Swift type of one value (`Int32`, `String`, `Fx_V1_Inner`).
  let elementType: String
  /// For `map<K, V>` fields: the entry message's key and value fields.
  let mapEntry: MapEntry?

  /// The entry message of a map field.
  final class MapEntry {
    let key: SwiftField
    let value: SwiftField
    let cType: String
    let cLower: String

    init(key: SwiftField, value: SwiftField, cType: String, cLower: String) {
      self.key = key
      self.value = value
      self.cType = cType
      self.cLower = cLower
    }
  }

  init(_ field: ProtoField, index: TypeIndex) {
    proto = field
    name = Naming.swiftField(field.name)
    elementType = SwiftField.swiftType(field, index: index)
    if field.cardinality == .repeated, field.type == .message,
      let entry = index[field.typeName ?? ""].message, entry.isMapEntry,
      let key = entry.fields.first(where: { $0.number == 1 }),
      let value = entry.fields.first(where: { $0.number == 2 })
    {
      let indexEntry = index[entry.fullName]
      mapEntry = MapEntry(
        key: SwiftField(key, index: index), value: SwiftField(value, index: index),
        cType: indexEntry.cTypeName, cLower: indexEntry.cLowerName)
    } else {
      mapEntry = nil
    }
  }

  static func swiftType(_ field: ProtoField, index: TypeIndex) -> String {
    switch field.type {
    case .double: return "Double"
    case .float: return "Float"
    case .int64, .sint64, .sfixed64: return "Int64"
    case .uint64, .fixed64: return "UInt64"
    case .int32, .sint32, .sfixed32: return "Int32"
    case .uint32, .fixed32: return "UInt32"
    case .bool: return "Bool"
    case .string: return "String"
    case .bytes: return "Data"
    case .enum, .message: return index[field.typeName ?? ""].swiftName
    }
  }

  /// The declared type of the stored property.
  var propertyType: String {
    if let mapEntry { return "[\(mapEntry.key.elementType): \(mapEntry.value.elementType)]" }
    switch proto.cardinality {
    case .repeated: return "[\(elementType)]"
    case .optional: return "\(elementType)?"
    case .implicit, .oneof: return elementType
    }
  }

  /// The property's initial value.
  var defaultValue: String {
    if mapEntry != nil { return "[:]" }
    switch proto.cardinality {
    case .repeated: return "[]"
    case .optional, .oneof: return "nil"
    case .implicit: return implicitDefault
    }
  }

  /// The proto3 default of one value, used for implicit fields and map values.
  var implicitDefault: String {
    switch proto.type {
    case .bool: return "false"
    case .string: return "\"\""
    case .bytes: return "Data()"
    case .enum: return "\(elementType)(protoValue: 0)"
    case .message: return "\(elementType)()"
    case .double, .float, .int64, .uint64, .int32, .fixed64, .fixed32, .uint32, .sfixed32,
      .sfixed64, .sint32, .sint64:
      return "0"
    }
  }

  /// An expression that is true when `value` differs from the proto3 default.
  func isNotDefault(_ value: String) -> String {
    switch proto.type {
    case .bool: return value
    case .string, .bytes: return "!\(value).isEmpty"
    case .enum: return "\(value).rawValue != 0"
    case .message: return "true"
    case .float, .double: return "\(value).bitPattern != 0"
    default: return "\(value) != 0"
    }
  }

  /// The largest encoded size of one scalar value, tag included.
  var scalarBound: Int {
    switch proto.type {
    case .double, .fixed64, .sfixed64: return 5 + 8
    case .float, .fixed32, .sfixed32: return 5 + 4
    default: return 5 + 10
    }
  }

  /// The largest encoded size of one element of a packed repeated field.
  var packedWidth: Int {
    switch proto.type {
    case .double, .fixed64, .sfixed64: return 8
    case .float, .fixed32, .sfixed32: return 4
    default: return 10
    }
  }

  var isScalar: Bool { ![.string, .bytes, .message].contains(proto.type) }
}

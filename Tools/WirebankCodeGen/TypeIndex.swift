/// Every message and enum of a request, by full name, with the names generators need.
struct TypeIndex {
  struct Entry {
    var file: ProtoFile
    /// The qualified Swift type name (`Fx_V1_Outer.Nested`).
    var swiftName: String
    /// The C type name (`Fx__V1__Outer__Nested`).
    var cTypeName: String
    /// The lower-case C prefix of its symbols (`fx__v1__outer__nested`).
    var cLowerName: String
    var message: ProtoMessage?
    var enumType: ProtoEnum?
  }

  private(set) var entries: [String: Entry] = [:]

  init(files: [ProtoFile]) {
    for file in files {
      let prefix = Naming.swiftPrefix(package: file.package, option: file.swiftPrefix)
      for message in file.messages {
        addMessage(message, file: file, swiftName: prefix + message.name, path: [message.name])
      }
      for enumType in file.enums {
        addEnum(enumType, file: file, swiftName: prefix + enumType.name, path: [enumType.name])
      }
    }
  }

  private mutating func addMessage(
    _ message: ProtoMessage, file: ProtoFile, swiftName: String, path: [String]
  ) {
    entries[message.fullName] = Entry(
      file: file, swiftName: swiftName,
      cTypeName: Naming.cTypeName(package: file.package, path: path),
      cLowerName: Naming.cLowerName(package: file.package, path: path),
      message: message, enumType: nil)
    for nested in message.messages {
      addMessage(nested, file: file, swiftName: "\(swiftName).\(TypeIndex.nestedName(nested.name))", path: path + [nested.name])
    }
    for nested in message.enums {
      addEnum(nested, file: file, swiftName: "\(swiftName).\(TypeIndex.nestedName(nested.name))", path: path + [nested.name])
    }
  }

  private mutating func addEnum(
    _ enumType: ProtoEnum, file: ProtoFile, swiftName: String, path: [String]
  ) {
    entries[enumType.fullName] = Entry(
      file: file, swiftName: swiftName,
      cTypeName: Naming.cTypeName(package: file.package, path: path),
      cLowerName: Naming.cLowerName(package: file.package, path: path),
      message: nil, enumType: enumType)
  }

  /// Nested type names that would clash with Swift's own members get a suffix (`Type` → `TypeEnum`).
  static func nestedName(_ name: String) -> String {
    ["Type", "Protocol", "Self", "Element"].contains(name) ? name + "Enum" : name
  }

  subscript(fullName: String) -> Entry {
    guard let entry = entries[fullName] else {
      preconditionFailure("protoc sent a reference to an unknown type \(fullName)")
    }
    return entry
  }
}

/// Name rules: protoc-c's for C symbols, swift-protobuf's for Swift (so both read familiar).
enum Naming {
  /// `product_engine` → `ProductEngine`.
  static func upperCamel(_ snake: Substring) -> String {
    snake.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
  }

  /// `response_type` → `responseType`; `UNRECOGNIZED_VALUE` stays as words: see `enumCase`.
  static func lowerCamel(_ snake: String) -> String {
    let parts = snake.split(separator: "_")
    guard let first = parts.first else { return snake }
    let head = first.prefix(1).lowercased() + first.dropFirst()
    return head + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
  }

  /// `MdMapEntry` → `md_map_entry` (protoc-c's CamelToLower).
  static func camelToLowerSnake(_ camel: String) -> String {
    var result = ""
    var previousWasLowerOrDigit = false
    for character in camel {
      if character.isUppercase {
        if previousWasLowerOrDigit { result += "_" }
        result += character.lowercased()
        previousWasLowerOrDigit = false
      } else {
        result.append(character)
        previousWasLowerOrDigit = character.isLowercase || character.isNumber
      }
    }
    return result
  }

  /// `ServingStatus` → `SERVING_STATUS`.
  static func camelToUpperSnake(_ camel: String) -> String {
    camelToLowerSnake(camel).uppercased()
  }

  /// The C type name of a message or enum: `Wirebank__ProductEngine__V1__Outer__Nested`.
  static func cTypeName(package: String, path: [String]) -> String {
    let packageParts = package.split(separator: ".").map { upperCamel($0) }
    return (packageParts + path).joined(separator: "__")
  }

  /// The lower-case C prefix of a message or enum: `wirebank__product_engine__v1__outer__nested`.
  static func cLowerName(package: String, path: [String]) -> String {
    let packageParts = package.split(separator: ".").map { String($0) }
    return (packageParts + path.map(camelToLowerSnake)).joined(separator: "__")
  }

  /// The Swift prefix of a file's top-level types: `option swift_prefix`, else `Grpc_Testing_`.
  static func swiftPrefix(package: String, option: String?) -> String {
    if let option { return option }
    if package.isEmpty { return "" }
    return package.split(separator: ".").map { upperCamel($0) }.joined(separator: "_") + "_"
  }

  static let swiftKeywords: Set<String> = [
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import",
    "init", "inout", "internal", "let", "open", "operator", "private", "protocol", "public",
    "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "continue",
    "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
    "return", "switch", "where", "while", "as", "Any", "catch", "false", "is", "nil", "super",
    "self", "Self", "throw", "throws", "true", "try", "Type", "Protocol", "await", "async",
    "some", "any", "consume", "copy", "borrowing", "consuming", "actor", "nonisolated",
  ]

  /// Members every generated message has; a field of the same name gets a `_p` suffix.
  static let reservedMembers: Set<String> = [
    "unknownFields", "debugDescription", "textDump", "cDescriptor", "protoMessageName",
    "serializedBytes", "writeText", "writeCStruct", "CStruct", "hashValue",
    // Names that even backticks cannot free after a dot.
    "self", "Type", "Protocol", "init",
  ]

  /// The Swift property name of a field.
  static func swiftField(_ protoName: String) -> String {
    let name = lowerCamel(protoName)
    if reservedMembers.contains(name) { return name + "_p" }
    return escaped(name)
  }

  /// Backticks a Swift keyword.
  static func escaped(_ name: String) -> String {
    swiftKeywords.contains(name) ? "`\(name)`" : name
  }

  /// The Swift case name of an enum value: the enum's prefix dropped, lower camel case.
  static func enumCase(_ valueName: String, enumName: String) -> String {
    let prefix = camelToUpperSnake(enumName) + "_"
    var stripped = valueName
    if valueName.uppercased().hasPrefix(prefix) {
      let rest = String(valueName.dropFirst(prefix.count))
      if let first = rest.first, !first.isNumber { stripped = rest }
    }
    var name = lowerCamel(stripped.lowercased())
    if name == "unrecognized" || name == "allCases" || name == "protoName" { name += "_" }
    return escaped(name)
  }

  /// A message method name from a proto rpc name: `SubmitApplication` → `submitApplication`.
  static func swiftMethod(_ rpcName: String) -> String {
    escaped(rpcName.prefix(1).lowercased() + rpcName.dropFirst())
  }
}

extension Naming {
  static let cKeywords: Set<String> = [
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "bool", "true", "false", "base",
    // Members Swift code reads through `pointee.`: names Swift reserves after a dot.
    "self", "Type", "Protocol", "init",
  ]

  /// The C struct member of a field: its proto name, with `_` added to C keywords and `base`.
  static func cMember(_ protoName: String) -> String {
    cKeywords.contains(protoName) ? protoName + "_" : protoName
  }
}

extension ProtoField {
  /// The member of the C struct that holds this field.
  var cMember: String { Naming.cMember(name) }
}

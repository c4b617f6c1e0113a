/// Emits an open Swift enum: one case per known value plus `unrecognized(Int32)`.
struct SwiftEnumGenerator {
  let enumType: ProtoEnum
  let index: TypeIndex

  /// Values with distinct numbers (aliases share the first name's case).
  private var cases: [(swiftName: String, protoName: String, number: Int32, comment: String)] {
    var seen: Set<Int32> = []
    return enumType.values.compactMap { value in
      guard seen.insert(value.number).inserted else { return nil }
      return (Naming.enumCase(value.name, enumName: enumType.name), value.name, value.number, value.comment)
    }
  }

  func write(to out: inout CodeWriter) {
    let name = String(index[enumType.fullName].swiftName.split(separator: ".").last ?? "")
    out.docComment(enumType.comment.isEmpty ? "`\(enumType.fullName)`." : enumType.comment)
    out.block("public enum \(name): ProtobufEnum {") { out in
      for value in cases {
        out.docComment(value.comment.isEmpty ? "`\(value.protoName)` = \(value.number)." : value.comment)
        out.line("case \(value.swiftName)")
      }
      out.line("/// A value this version of the contract does not know; kept as is.")
      out.line("case unrecognized(Int32)")
      out.line()
      out.line("/// Every known value, in declaration order.")
      out.line("public static let allCases: [Self] = [\(cases.map { ".\($0.swiftName)" }.joined(separator: ", "))]")
      out.line()
      out.line("/// The value numbered `protoValue`.")
      out.block("public init(protoValue: Int32) {") { out in
        out.block("switch protoValue {") { out in
          for value in cases { out.line("case \(value.number): self = .\(value.swiftName)") }
          out.line("default: self = .unrecognized(protoValue)")
        }
      }
      out.line()
      out.line("/// The value's number on the wire.")
      out.block("public var rawValue: Int32 {") { out in
        out.block("switch self {") { out in
          for value in cases { out.line("case .\(value.swiftName): \(value.number)") }
          out.line("case .unrecognized(let number): number")
        }
      }
      out.line()
      out.line("/// The value's name in the .proto file; nil when unrecognized.")
      out.block("public var protoName: String? {") { out in
        out.block("switch self {") { out in
          for value in cases { out.line("case .\(value.swiftName): \"\(value.protoName)\"") }
          out.line("case .unrecognized: nil")
        }
      }
    }
  }
}

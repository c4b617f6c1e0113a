/// Emits `writeCStruct(_:in:)` and `read(cStruct:in:)`: the copies between a Swift message and
/// its protobuf-c struct, with the packed-size bound computed on the way.
struct SwiftConversionGenerator {
  let message: SwiftMessageGenerator

  func write(to out: inout CodeWriter) {
    writeEncoder(to: &out)
    out.line()
    writeDecoder(to: &out)
  }

  // MARK: Swift → C

  private func writeEncoder(to out: inout CodeWriter) {
    out.line("public func writeCStruct(")
    out.line("  _ target: UnsafeMutablePointer<CStruct>, in arena: Arena")
    out.block(") throws(ProtobufEncodingError) -> Int {") { out in
      let fixed = message.fields.filter { $0.isScalar && $0.proto.cardinality != .repeated && $0.mapEntry == nil }
        .reduce(0) { $0 + $1.scalarBound }
      out.line("var bound = \(fixed)")
      for field in message.fields where field.mapEntry == nil {
        switch field.proto.cardinality {
        case .implicit:
          if CGenerator.isSignedZeroSensitive(field.proto) {
            out.line("target.pointee.\(field.proto.cMember) = \(field.name)")
            out.line("target.pointee.has_\(field.proto.name) = \(field.name).bitPattern != 0 ? 1 : 0")
          } else if field.isScalar {
            out.line("target.pointee.\(field.proto.cMember) = \(cScalar(field, field.name))")
          } else {
            out.block("if \(field.isNotDefault(field.name)) {") { out in
              out.line("target.pointee.\(field.proto.cMember) = \(try_(field))\(cValue(field, field.name))")
            }
          }
        case .optional:
          out.block("if let value = \(field.name) {") { out in
            if CGenerator.hasFlag(field.proto) { out.line("target.pointee.has_\(field.proto.name) = 1") }
            out.line("target.pointee.\(field.proto.cMember) = \(try_(field))\(cValue(field, "value"))")
          }
        case .repeated:
          out.line("target.pointee.n_\(field.proto.name) = \(field.name).count")
          out.line("target.pointee.\(field.proto.cMember) = \(try_(field))\(cArray(field))")
        case .oneof:
          continue
        }
      }
      for field in message.fields where field.mapEntry != nil {
        writeMapEncoder(field, to: &out)
      }
      for oneofIndex in message.message.oneofs.indices {
        out.block("switch \(message.oneofPropertyName(oneofIndex)) {") { out in
          for field in message.fields(ofOneof: oneofIndex) {
            out.line("case .\(field.name)(let value)?:")
            out.line("  target.pointee.\(message.message.oneofs[oneofIndex])_case = \(field.proto.number)")
            out.line("  target.pointee.\(field.proto.cMember) = \(try_(field))\(cValue(field, "value"))")
            if field.isScalar { out.line("  bound += \(field.scalarBound)") }
          }
          out.line("case nil: break")
        }
      }
      out.line("bound += unknownFields.write(to: &target.pointee.base, in: arena)")
      out.line("return bound")
    }
  }

  private func try_(_ field: SwiftField) -> String {
    field.proto.type == .string || field.proto.type == .message ? "try " : ""
  }

  /// A scalar converted to its C member type (no allocation, no bound).
  private func cScalar(_ field: SwiftField, _ value: String) -> String {
    switch field.proto.type {
    case .bool: return "\(value) ? 1 : 0"
    case .enum: return "\(value).rawValue"
    default: return value
    }
  }

  /// Any single value converted to its C member, adding to `bound` where it allocates.
  private func cValue(_ field: SwiftField, _ value: String, label: String? = nil) -> String {
    switch field.proto.type {
    case .string:
      return "arena.cString(\(value), bound: &bound, field: \"\(label ?? field.proto.name)\")"
    case .bytes: return "arena.cBytes(\(value), bound: &bound)"
    case .message: return "arena.cMessage(\(value), bound: &bound)"
    default: return cScalar(field, value)
    }
  }

  private func cArray(_ field: SwiftField) -> String {
    // Packed: one tag for the lot; unpacked: a tag per element.
    let width = field.proto.isPacked ? field.packedWidth : field.scalarBound
    switch field.proto.type {
    case .string: return "arena.cStrings(\(field.name), bound: &bound, field: \"\(field.proto.name)\")"
    case .bytes: return "arena.cBytesArray(\(field.name), bound: &bound)"
    case .message: return "arena.cMessages(\(field.name), bound: &bound)"
    case .bool: return "arena.cBools(\(field.name), width: \(width), bound: &bound)"
    case .enum: return "arena.cEnums(\(field.name), width: \(width), bound: &bound)"
    default: return "arena.cScalars(\(field.name), width: \(width), bound: &bound)"
    }
  }

  private func writeMapEncoder(_ field: SwiftField, to out: inout CodeWriter) {
    guard let map = field.mapEntry else { return }
    let name = field.proto.name
    out.block("if !\(field.name).isEmpty {") { out in
      out.line("let entries = arena.cPointerArray(\(map.cType).self, count: \(field.name).count)")
      out.line("var position = 0")
      out.block("for (key, value) in \(field.name) {") { out in
        out.line("let entry = arena.newCStruct(\(map.cType).self, descriptor: \(map.cLower)__descriptor_ref)")
        for part in [map.key, map.value] {
          let variable = part.proto.number == 1 ? "key" : "value"
          if CGenerator.isSignedZeroSensitive(part.proto) {
            out.line("entry.pointee.\(part.proto.cMember) = \(variable)")
            out.line("entry.pointee.has_\(part.proto.name) = \(variable).bitPattern != 0 ? 1 : 0")
          } else if part.isScalar {
            out.line("entry.pointee.\(part.proto.cMember) = \(cScalar(part, variable))")
          } else {
            out.line("entry.pointee.\(part.proto.cMember) = \(try_(part))\(cValue(part, variable, label: "\(name).\(part.proto.name)"))")
          }
        }
        out.line("entries[position] = entry")
        out.line("position += 1")
      }
      out.line("bound += \(field.name).count * \(map.key.scalarBound + map.value.scalarBound + 15)")
      out.line("target.pointee.n_\(name) = \(field.name).count")
      out.line("target.pointee.\(field.proto.cMember) = entries")
    }
  }

  // MARK: C → Swift

  private func writeDecoder(to out: inout CodeWriter) {
    out.block("public mutating func read(cStruct source: UnsafePointer<CStruct>, in arena: Arena) {") { out in
      for field in message.fields where field.mapEntry == nil {
        let member = "source.pointee.\(field.proto.cMember)"
        switch field.proto.cardinality {
        case .implicit:
          out.line("\(field.name) = \(swiftValue(field, member))")
        case .optional where CGenerator.hasFlag(field.proto):
          out.line("if source.pointee.has_\(field.proto.name) != 0 { \(field.name) = \(swiftValue(field, member)) }")
        case .optional:
          if field.proto.type == .message {
            out.line("arena.read(\(member), into: &\(field.name))")
          } else {
            out.line("if let value = \(member) { \(field.name) = \(swiftValue(field, "value")) }")
          }
        case .repeated:
          out.line("\(field.name) = \(swiftArray(field, member, count: "source.pointee.n_\(field.proto.name)"))")
        case .oneof:
          continue
        }
      }
      for field in message.fields where field.mapEntry != nil {
        writeMapDecoder(field, to: &out)
      }
      for oneofIndex in message.message.oneofs.indices {
        out.block("switch source.pointee.\(message.message.oneofs[oneofIndex])_case {") { out in
          for field in message.fields(ofOneof: oneofIndex) {
            let value = swiftValue(field, "source.pointee.\(field.proto.cMember)", nonOptional: true)
            out.line("case \(field.proto.number): \(message.oneofPropertyName(oneofIndex)) = .\(field.name)(\(value))")
          }
          out.line("default: break")
        }
      }
      out.line("unknownFields = UnknownFields(source.pointee.base)")
    }
  }

  /// A single C member read as its Swift value.
  private func swiftValue(_ field: SwiftField, _ member: String, nonOptional: Bool = false) -> String {
    switch field.proto.type {
    case .bool: return "\(member) != 0"
    case .enum: return "\(field.elementType)(protoValue: \(member))"
    case .string: return "arena.swiftString(\(member))"
    case .bytes: return "arena.swiftData(\(member))"
    case .message:
      return "arena.swiftMessage(\(member)) ?? \(field.elementType)()"
    default: return member
    }
  }

  private func swiftArray(_ field: SwiftField, _ member: String, count: String) -> String {
    switch field.proto.type {
    case .string: return "arena.swiftStrings(\(member), count: \(count))"
    case .bytes: return "arena.swiftDataArray(\(member), count: \(count))"
    case .message: return "arena.swiftMessages(\(member), count: \(count))"
    case .bool: return "arena.swiftBools(\(member), count: \(count))"
    case .enum: return "arena.swiftEnums(\(member), count: \(count))"
    default: return "arena.swiftScalars(\(member), count: \(count))"
    }
  }

  private func writeMapDecoder(_ field: SwiftField, to out: inout CodeWriter) {
    guard let map = field.mapEntry else { return }
    let name = field.proto.name
    out.block("if source.pointee.n_\(name) > 0, let entries = source.pointee.\(field.proto.cMember) {") { out in
      out.line("var map = \(field.propertyType)(minimumCapacity: source.pointee.n_\(name))")
      out.block("for position in 0..<source.pointee.n_\(name) {") { out in
        out.line("guard let entry = entries[position] else { continue }")
        let key = swiftValue(map.key, "entry.pointee.\(map.key.proto.cMember)")
        let value = swiftValue(map.value, "entry.pointee.\(map.value.proto.cMember)")
        if map.key.proto.type == .string {
          out.line("arena.insert(\(value), forKey: \(key), into: &map, field: \"\(name)\")")
        } else {
          out.line("map[\(key)] = \(value)")
        }
      }
      out.line("\(field.name) = map")
    }
  }
}

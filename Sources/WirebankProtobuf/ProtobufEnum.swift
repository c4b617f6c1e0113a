/// A Protobuf enum: open, so values this version does not know survive a round trip.
public protocol ProtobufEnum: RawRepresentable, Hashable, Sendable, CaseIterable
where RawValue == Int32 {
  /// The case for `protoValue`, or the `unrecognized` case holding it.
  init(protoValue: Int32)
  /// The Protobuf name of a known value (`APPLICATION_STATUS_NEW`), nil for unrecognized ones.
  var protoName: String? { get }
}

extension ProtobufEnum {
  public init?(rawValue: Int32) { self.init(protoValue: rawValue) }
}

/// Generated code names a case of this enum, so it stops compiling against an older runtime.
public enum WirebankProtobufRuntimeVersion: Sendable {
  /// Runtime API 0.1.0.
  case v0_1_0
}

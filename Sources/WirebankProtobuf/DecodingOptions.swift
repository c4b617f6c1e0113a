/// Limits applied before any byte reaches protobuf-c.
public struct DecodingOptions: Sendable, Hashable {
  /// The largest input accepted, in bytes.
  public var maximumMessageSize: Int
  /// How deeply messages may nest (protobuf-c itself has no limit and crashes at ~200k levels).
  public var maximumDepth: Int

  /// 4 MiB and 100 levels, as gRPC and Google's protobuf default to.
  public static let `default` = DecodingOptions(maximumMessageSize: 4 * 1024 * 1024, maximumDepth: 100)

  public init(maximumMessageSize: Int, maximumDepth: Int) {
    self.maximumMessageSize = maximumMessageSize
    self.maximumDepth = maximumDepth
  }
}

/// A PostgreSQL type, by its OID (the built-in OIDs are stable across server versions).
public struct PostgresDataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  /// The type's OID.
  public let rawValue: UInt32

  /// A type from its OID.
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// `bool`
  public static let bool = PostgresDataType(rawValue: 16)
  /// `bytea`
  public static let bytea = PostgresDataType(rawValue: 17)
  /// `"char"` (the one-byte internal type)
  public static let char = PostgresDataType(rawValue: 18)
  /// `name` (identifiers in the catalogs)
  public static let name = PostgresDataType(rawValue: 19)
  /// `int8` / `bigint`
  public static let int8 = PostgresDataType(rawValue: 20)
  /// `int2` / `smallint`
  public static let int2 = PostgresDataType(rawValue: 21)
  /// `int4` / `integer`
  public static let int4 = PostgresDataType(rawValue: 23)
  /// `text`
  public static let text = PostgresDataType(rawValue: 25)
  /// `oid`
  public static let oid = PostgresDataType(rawValue: 26)
  /// `json`
  public static let json = PostgresDataType(rawValue: 114)
  /// `float4` / `real`
  public static let float4 = PostgresDataType(rawValue: 700)
  /// `float8` / `double precision`
  public static let float8 = PostgresDataType(rawValue: 701)
  /// `unknown` (an untyped literal)
  public static let unknown = PostgresDataType(rawValue: 705)
  /// `bpchar` / `char(n)`
  public static let bpchar = PostgresDataType(rawValue: 1042)
  /// `varchar`
  public static let varchar = PostgresDataType(rawValue: 1043)
  /// `timestamp` (without time zone)
  public static let timestamp = PostgresDataType(rawValue: 1114)
  /// `timestamptz`
  public static let timestamptz = PostgresDataType(rawValue: 1184)
  /// `numeric`
  public static let numeric = PostgresDataType(rawValue: 1700)
  /// `uuid`
  public static let uuid = PostgresDataType(rawValue: 2950)
  /// `jsonb`
  public static let jsonb = PostgresDataType(rawValue: 3802)
  /// `bool[]`
  public static let boolArray = PostgresDataType(rawValue: 1000)
  /// `bytea[]`
  public static let byteaArray = PostgresDataType(rawValue: 1001)
  /// `int2[]`
  public static let int2Array = PostgresDataType(rawValue: 1005)
  /// `int4[]`
  public static let int4Array = PostgresDataType(rawValue: 1007)
  /// `text[]`
  public static let textArray = PostgresDataType(rawValue: 1009)
  /// `varchar[]`
  public static let varcharArray = PostgresDataType(rawValue: 1015)
  /// `int8[]`
  public static let int8Array = PostgresDataType(rawValue: 1016)
  /// `timestamptz[]`
  public static let timestamptzArray = PostgresDataType(rawValue: 1185)
  /// `numeric[]`
  public static let numericArray = PostgresDataType(rawValue: 1231)
  /// `uuid[]`
  public static let uuidArray = PostgresDataType(rawValue: 2951)

  /// The type's SQL name where it is one of the named types, otherwise `oid <n>`.
  public var description: String { Self.names[rawValue] ?? "oid \(rawValue)" }

  private static let names: [UInt32: String] = [
    16: "bool", 17: "bytea", 18: "char", 19: "name", 20: "int8", 21: "int2", 23: "int4",
    25: "text", 26: "oid", 114: "json", 700: "float4", 701: "float8", 705: "unknown",
    1042: "bpchar", 1043: "varchar", 1114: "timestamp", 1184: "timestamptz", 1700: "numeric",
    2950: "uuid", 3802: "jsonb", 1000: "bool[]", 1001: "bytea[]", 1005: "int2[]",
    1007: "int4[]", 1009: "text[]", 1015: "varchar[]", 1016: "int8[]", 1185: "timestamptz[]",
    1231: "numeric[]", 2951: "uuid[]",
  ]

  /// Types whose binary form is the UTF-8 text itself.
  static let textual: Set<PostgresDataType> = [.text, .varchar, .bpchar, .name, .json, .unknown]
}

/// How a value travels on the wire: as text or in the type's binary form.
public enum PostgresFormat: Int32, Sendable {
  /// The type's text form (as `psql` shows it).
  case text = 0
  /// The type's binary (send/recv) form.
  case binary = 1
}

/// A SQL statement whose values travel apart from its text, as bound parameters.
///
/// Every interpolated value becomes a `$n` placeholder with the value bound to it, so no value
/// can change the statement:
///
/// ```swift
/// let rows = try await pool.query("SELECT id FROM users WHERE email = \(email)")
/// ```
///
/// SQL text that is not a literal in the source needs the loudly named `init(unsafeSQL:)` or
/// `\(unsafeSQL:)`; identifiers can be interpolated quoted with `\(identifier:)`.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
  /// The statement text, with `$1`, `$2`, … where values are bound.
  public var sql: String
  /// The values bound to the placeholders.
  public var bindings: PostgresBindings

  /// A statement from text that was not written as a literal, such as a migration file.
  ///
  /// The caller vouches that `unsafeSQL` holds no untrusted input; values must go in `bindings`.
  public init(unsafeSQL: String, bindings: PostgresBindings = PostgresBindings()) {
    self.sql = unsafeSQL
    self.bindings = bindings
  }

  /// A statement from a string literal without interpolations.
  public init(stringLiteral value: String) {
    self.init(unsafeSQL: value)
  }

  /// A statement built from a literal with interpolated values.
  public init(stringInterpolation: StringInterpolation) {
    self.init(unsafeSQL: stringInterpolation.sql, bindings: stringInterpolation.bindings)
  }

  /// The statement text only: values are never shown.
  public var description: String { sql }

  /// Builds the text and the bindings of an interpolated query.
  public struct StringInterpolation: StringInterpolationProtocol {
    var sql: String
    var bindings = PostgresBindings()

    /// Reserves room for the literal parts and the values.
    public init(literalCapacity: Int, interpolationCount: Int) {
      sql = ""
      sql.reserveCapacity(literalCapacity + interpolationCount * 3)
      bindings.reserveCapacity(values: interpolationCount)
    }

    /// Appends literal SQL from the source.
    public mutating func appendLiteral(_ literal: String) { sql += literal }

    /// Binds `value` and appends its placeholder `$n`.
    public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
      bindings.append(value)
      sql += "$\(bindings.count)"
    }

    /// Binds `value`, or NULL for `nil` (typed as `Value`), and appends its placeholder `$n`.
    public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
      bindings.append(value)
      sql += "$\(bindings.count)"
    }

    /// Appends an identifier (a table or column name) in double quotes, quotes doubled.
    ///
    /// Identifiers cannot be bound; quoting keeps any name from ending the identifier.
    public mutating func appendInterpolation(identifier: String) {
      sql += PostgresQuery.quoteIdentifier(identifier)
    }

    /// Appends raw SQL text. The caller vouches that it holds no untrusted input.
    public mutating func appendInterpolation(unsafeSQL fragment: String) { sql += fragment }
  }

  /// `name` in double quotes with inner quotes doubled, and U+0000 removed (it cannot be sent).
  public static func quoteIdentifier(_ name: String) -> String {
    let cleaned = name.replacingOccurrences(of: "\0", with: "")
    return "\"" + cleaned.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

extension String {
  fileprivate func replacingOccurrences(of target: Character, with replacement: String) -> String {
    guard contains(target) else { return self }
    var result = ""
    result.reserveCapacity(utf8.count + 8)
    for character in self {
      if character == target { result += replacement } else { result.append(character) }
    }
    return result
  }
}

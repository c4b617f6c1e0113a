import CLibpq

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The rows a statement returned, decoded lazily from the result libpq received.
///
/// Rows can be kept and passed between tasks: libpq documents a finished result as read-only and
/// safe to share between threads, and it is freed when the last row referring to it goes away.
public struct PostgresRows: RandomAccessCollection, Sendable {
  let storage: ResultStorage

  /// The result columns, in order.
  public var columns: [PostgresColumn] { storage.columns }
  /// The rows an INSERT, UPDATE, DELETE, MERGE, SELECT… touched, from the command tag.
  public var affectedRows: Int { storage.affectedRows }
  /// The command tag, such as `INSERT 0 1`.
  public var commandTag: String { storage.commandTag }

  /// Zero.
  public var startIndex: Int { 0 }
  /// The number of rows.
  public var endIndex: Int { storage.rowCount }
  /// The row at `position`.
  public subscript(position: Int) -> PostgresRow { PostgresRow(storage: storage, row: position) }

  /// The only row, or an error naming the query when there is none or more than one.
  public func single() throws -> PostgresRow {
    guard count == 1 else {
      throw PostgresError(
        .unexpectedResponse, reason: "expected exactly one row, got \(count)",
        query: storage.query)
    }
    return self[0]
  }
}

/// One column of a result.
public struct PostgresColumn: Sendable, Hashable {
  /// The column's name (its alias where the query gave one).
  public let name: String
  /// The column's type.
  public let dataType: PostgresDataType
}

/// One row of a result; decode its columns by position or by name.
public struct PostgresRow: Sendable {
  let storage: ResultStorage
  let row: Int

  /// Whether the column at `column` is NULL.
  public func isNull(at column: Int) -> Bool {
    guard column >= 0, column < storage.columnCount else { return false }
    return PQgetisnull(storage.result, Int32(row), Int32(column)) == 1
  }

  /// Decodes the column at `column` (zero-based).
  /// - Throws: `PostgresError` of kind `decodingFailed` naming the column.
  public func decode<Value: PostgresDecodable>(_ type: Value.Type = Value.self, at column: Int)
    throws -> Value
  {
    guard column >= 0, column < storage.columnCount else {
      throw PostgresError(
        .decodingFailed,
        reason: "column index \(column) is out of range (\(storage.columnCount) columns)",
        query: storage.query)
    }
    let type = PostgresDataType(rawValue: PQftype(storage.result, Int32(column)))
    do {
      if PQgetisnull(storage.result, Int32(row), Int32(column)) == 1 {
        return try Value.decodeNull()
      }
      let length = Int(PQgetlength(storage.result, Int32(row), Int32(column)))
      let start = UnsafeRawPointer(PQgetvalue(storage.result, Int32(row), Int32(column)))
      return try Value.decode(
        from: UnsafeRawBufferPointer(start: start, count: length), type: type)
    } catch {
      let info = storage.column(column)
      let reason = (error as? PostgresCodingFailure)?.reason ?? "\(error)"
      throw PostgresError(
        .decodingFailed,
        reason: "column \"\(info.name)\" (\(info.dataType)) as \(Value.self): \(reason)",
        columnName: info.name, query: storage.query)
    }
  }

  /// Decodes the column named `name` (the first one, if several share it).
  /// - Throws: `PostgresError` of kind `decodingFailed` naming the column.
  public func decode<Value: PostgresDecodable>(_ type: Value.Type = Value.self, column name: String)
    throws -> Value
  {
    guard let index = storage.index(ofColumn: name) else {
      throw PostgresError(
        .decodingFailed, reason: "no column named \"\(name)\"", columnName: name,
        query: storage.query)
    }
    return try decode(type, at: index)
  }

  /// Decodes the first column: `try row.decode(Int64.self)`.
  /// - Throws: `PostgresError` of kind `decodingFailed` naming the column.
  public func decode<Value: PostgresDecodable>(_ type: Value.Type) throws -> Value {
    try decode(type, at: 0)
  }

  /// Decodes the first columns, in order, as a tuple: `try row.decode((Int64, String).self)`.
  /// - Throws: `PostgresError` of kind `decodingFailed` naming the first column that failed.
  public func decode<each Value: PostgresDecodable>(_ types: (repeat each Value).Type) throws
    -> (repeat each Value)
  {
    var column = 0
    func next<Next: PostgresDecodable>(_ type: Next.Type) throws -> Next {
      defer { column += 1 }
      return try decode(type, at: column)
    }
    return (repeat try next((each Value).self))
  }
}

/// Owns a finished `PGresult` (read-only, so shareable between threads) and frees it once.
final class ResultStorage: @unchecked Sendable {
  let result: OpaquePointer
  let columnCount: Int
  let rowCount: Int
  let query: String

  /// Nothing is copied out of `result` here: names, types and the command tag are read from it
  /// when asked for (most statements' answers are decoded by position, or not at all).
  init(taking result: OpaquePointer, query: String) {
    self.result = result
    self.query = query
    columnCount = Int(PQnfields(result))
    rowCount = Int(PQntuples(result))
  }

  deinit { PQclear(result) }

  var columns: [PostgresColumn] { (0..<columnCount).map(column) }

  /// The name and type of the column at `index`.
  func column(_ index: Int) -> PostgresColumn {
    PostgresColumn(
      name: PQfname(result, Int32(index)).map { String(cString: $0) } ?? "?column?",
      dataType: PostgresDataType(rawValue: PQftype(result, Int32(index))))
  }

  /// The first column named exactly `name`, found without allocating.
  func index(ofColumn name: String) -> Int? {
    var name = name
    return name.withUTF8 { wanted in
      (0..<columnCount).first { index in
        guard let field = PQfname(result, Int32(index)), strlen(field) == wanted.count else {
          return false
        }
        return wanted.isEmpty || memcmp(field, wanted.baseAddress!, wanted.count) == 0
      }
    }
  }

  var affectedRows: Int { PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0 }
  var commandTag: String { PQcmdStatus(result).map { String(cString: $0) } ?? "" }
}

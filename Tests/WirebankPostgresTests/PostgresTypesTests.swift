import Foundation
import Testing
import WirebankPostgres

@Suite struct PostgresTypesTests {
  @Test func scalarsRoundTripThroughTheServer() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      let id = UUID()
      let when = Date(timeIntervalSince1970: 1_700_000_000.123456)
      let bytes = [UInt8](0...255)
      let row = try await pool.query(
        """
        SELECT \(Int64.max) AS big, \(Int64.min) AS small, \(Int32(-7)) AS medium, \(Int16(300)) AS tiny,
               \(true) AS yes, \("héllo, 世界 🏦") AS text, \(bytes) AS bytes, \(id) AS id,
               \(when) AS at, \("") AS empty, \([UInt8]()) AS nothing
        """
      ).single()
      #expect(try row.decode(Int64.self, column: "big") == .max)
      #expect(try row.decode(Int64.self, column: "small") == .min)
      #expect(try row.decode(Int32.self, column: "medium") == -7)
      #expect(try row.decode(Int16.self, column: "tiny") == 300)
      #expect(try row.decode(Int64.self, column: "tiny") == 300)
      #expect(try row.decode(Bool.self, column: "yes"))
      #expect(try row.decode(String.self, column: "text") == "héllo, 世界 🏦")
      #expect(try row.decode([UInt8].self, column: "bytes") == bytes)
      #expect(try row.decode(UUID.self, column: "id") == id)
      #expect(try row.decode(String.self, column: "id") == id.uuidString.lowercased())
      let decoded = try row.decode(Date.self, column: "at")
      #expect(abs(decoded.timeIntervalSince1970 - when.timeIntervalSince1970) < 0.000_002)
      #expect(try row.decode(String.self, column: "empty") == "")
      #expect(try row.decode([UInt8].self, column: "nothing") == [])
    }
  }

  @Test func randomUUIDsAreVersion4AsTheServerReadsThem() async throws {
    let ids = (0..<64).map { _ in UUID.random() }
    #expect(Set(ids).count == ids.count)
    try await withPool(try await TestCluster.freshPool()) { pool in
      for id in ids.prefix(8) {
        // Text form xxxxxxxx-xxxx-4xxx-Vxxx-… with the variant V one of 8, 9, a, b.
        let text = try await pool.query("SELECT \(id)::text").single().decode(String.self)
        #expect(text == id.uuidString.lowercased())
        #expect(Array(text)[14] == "4" && "89ab".contains(Array(text)[19]), "\(text)")
        #expect(try await pool.query("SELECT \(id)::uuid").single().decode(UUID.self) == id)
      }
    }
  }

  @Test func timestamptzMatchesTheServerClock() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      let row = try await pool.query(
        "SELECT '2024-02-29 12:34:56.789012+00'::timestamptz, 'infinity'::timestamptz"
      ).single()
      let (date, infinite) = try row.decode((Date, Date).self)
      #expect(abs(date.timeIntervalSince1970 - 1_709_210_096.789012) < 0.000_002)
      #expect(infinite == .distantFuture)
    }
  }

  @Test(arguments: [
    "0", "-12.3400", "123456789012345678901234567890.000000001", "0.0001", "10000", "-0.5",
    "NaN", "Infinity", "1.00000000", "99999999", "0.000000000000000000001",
  ])
  func numericKeepsItsDecimalText(_ text: String) async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      let numeric = try #require(PostgresNumeric(text))
      let row = try await pool.query("SELECT \(numeric) AS n, \(numeric)::text AS t").single()
      let (asString, serverText) = try row.decode((String, String).self)
      #expect(asString == serverText)
      #expect(try row.decode(PostgresNumeric.self, at: 0).description == serverText)
    }
  }

  @Test func optionalsAndNulls() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      let missing: String? = nil
      let present: Int64? = 5
      let row = try await pool.query("SELECT \(missing) AS a, \(present) AS b, NULL::int8 AS c")
        .single()
      #expect(try row.decode(String?.self, column: "a") == nil)
      #expect(try row.decode(Int64?.self, column: "b") == 5)
      #expect(row.isNull(at: 2))
      let error = #expect(throws: PostgresError.self) { try row.decode(Int64.self, column: "c") }
      #expect(error?.kind == .decodingFailed && error?.columnName == "c")
      #expect(error?.description.contains("\"c\"") == true)
    }
  }

  @Test func decodingErrorsNameTheColumnAndTypes() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      let secret = "secret-value"
      let row = try await pool.query("SELECT \(secret) AS account_name, 1::int8 AS n").single()
      let error = #expect(throws: PostgresError.self) {
        try row.decode(Int64.self, column: "account_name")
      }
      #expect(error?.columnName == "account_name")
      #expect(error?.description.contains("account_name") == true)
      #expect(error?.description.contains("text") == true)
      #expect(error?.description.contains("secret-value") == false)
      #expect(throws: PostgresError.self) { try row.decode(Int32.self, column: "n") }
      #expect(throws: PostgresError.self) { try row.decode(Int64.self, column: "missing") }
      #expect(throws: PostgresError.self) { try row.decode((Int64, Int64, Int64).self) }
    }
  }

  @Test func arraysBindAndDecode() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      let ids = PostgresArray<Int64>([3, 1, 2])
      let names = PostgresArray(["a", "b'c", ""])
      let row = try await pool.query(
        "SELECT \(ids) AS ids, \(names) AS names, \(PostgresArray<Int64>([])) AS empty, 2 = ANY(\(ids)) AS has"
      ).single()
      #expect(try row.decode(PostgresArray<Int64>.self, column: "ids").elements == [3, 1, 2])
      #expect(
        try row.decode(PostgresArray<String>.self, column: "names").elements == ["a", "b'c", ""])
      #expect(try row.decode(PostgresArray<Int64>.self, column: "empty").elements == [])
      #expect(try row.decode(Bool.self, column: "has"))
    }
  }

  @Test func arraysOfOptionalsBindNilAsNull() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      let names = PostgresArray<String?>(["a", nil, "c"])
      let amounts = PostgresArray<Int64?>([nil, 7])
      let row = try await pool.query(
        """
        SELECT array_positions(\(names), NULL) AS null_names, \(names)[3] AS third,
          array_positions(\(amounts), NULL) AS null_amounts, \(amounts)[2] AS second,
          array_positions(\(PostgresArray<Int64?>([1, 2])), NULL) AS none
        """
      ).single()
      #expect(try row.decode(PostgresArray<Int32>.self, column: "null_names").elements == [2])
      #expect(try row.decode(String.self, column: "third") == "c")
      #expect(try row.decode(PostgresArray<Int32>.self, column: "null_amounts").elements == [1])
      #expect(try row.decode(Int64.self, column: "second") == 7)
      #expect(try row.decode(PostgresArray<Int32>.self, column: "none").elements == [])
    }
  }

  @Test func affectedRowsAndCommandTag() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      try await pool.query("CREATE TABLE t (n int8)")
      let insert = try await pool.query("INSERT INTO t SELECT generate_series(1, \(Int64(5)))")
      #expect(insert.affectedRows == 5 && insert.commandTag == "INSERT 0 5")
      let rows = try await pool.query("SELECT n FROM t ORDER BY n")
      let values = try rows.map { try $0.decode(Int64.self) }
      #expect(values == [1, 2, 3, 4, 5])
    }
  }
}

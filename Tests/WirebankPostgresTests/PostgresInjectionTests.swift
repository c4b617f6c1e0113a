import Testing
import WirebankPostgres

/// Hostile text in every string parameter must arrive as data and leave the schema untouched.
@Suite struct PostgresInjectionTests {
  static let attacks = [
    "'); DROP TABLE notes; --",
    "\"; DROP TABLE notes; --",
    "' OR '1'='1",
    "$1",
    "$$; DROP TABLE notes; $$",
    "\\'; DROP TABLE notes; --",
    "E'\\\\x00'",
    "Robert'); DELETE FROM notes WHERE ('a'='a",
    "%",
    "‘ ’ ʼ ＇; DROP TABLE notes",
    "\u{FFFD}\u{FEFF}\u{202E}",
    String(repeating: "'; DROP TABLE notes; --", count: 50_000),
  ]

  @Test(arguments: attacks)
  func stringParametersStayData(_ attack: String) async throws {
    try await withPool(try await TestCluster.freshPool("inj")) { pool in
      try await pool.query("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)")
      try await pool.query("INSERT INTO notes (body) VALUES ('keep')")
      try await pool.query("INSERT INTO notes (body) VALUES (\(attack))")
      let found = try await pool.query("SELECT body FROM notes WHERE body = \(attack)")
      #expect(found.count == 1)
      #expect(try found.single().decode(String.self) == attack)
      let total = try await pool.query("SELECT count(*) FROM notes").single().decode(Int64.self)
      #expect(total == 2)
      let like = try await pool.query("SELECT count(*) FROM notes WHERE body LIKE \(attack)")
      #expect(try like.single().decode(Int64.self) <= 2)
    }
  }

  @Test func identifiersAreQuotedNotExecuted() async throws {
    try await withPool(try await TestCluster.freshPool("inj")) { pool in
      let name = "x\"; DROP TABLE victims; --"
      try await pool.query("CREATE TABLE victims (n int)")
      try await pool.query("CREATE TABLE \(identifier: name) (n int)")
      let tables = try await pool.query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
      #expect(try tables.map { try $0.decode(String.self) } == ["victims", name].sorted())
    }
  }

  @Test func nulInTextIsAClearErrorThatHidesTheValue() async throws {
    try await withPool(try await TestCluster.freshPool("inj")) { pool in
      let value = "secret\u{0}tail"
      let error = await #expect(throws: PostgresError.self) {
        try await pool.query("SELECT \(Int64(1)), \(value)")
      }
      #expect(error?.kind == .invalidParameter)
      #expect(error?.reason.contains("$2") == true)
      #expect(error?.reason.contains("U+0000") == true)
      #expect(error.map { "\($0)" }?.contains("secret") == false)
      // The same bytes are fine as bytea.
      let bytes = Array(value.utf8)
      let echoed = try await pool.query("SELECT \(bytes)").single().decode([UInt8].self)
      #expect(echoed == bytes)
    }
  }

  @Test func invalidUTF8StaysBytesOrIsRepairedBeforeItLeaves() async throws {
    try await withPool(try await TestCluster.freshPool("inj")) { pool in
      let invalid: [UInt8] = [0x27, 0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0x3B]
      let bytes = try await pool.query("SELECT \(invalid)").single().decode([UInt8].self)
      #expect(bytes == invalid)
      // Swift strings are always valid UTF-8: invalid input becomes U+FFFD before binding.
      let repaired = String(decoding: invalid, as: UTF8.self)
      let text = try await pool.query("SELECT \(repaired)").single().decode(String.self)
      #expect(text == repaired)
      // Raw invalid bytes cannot be smuggled in as text either: the server checks them.
      let error = await #expect(throws: PostgresError.self) {
        try await pool.query("SELECT convert_from(\(invalid), 'UTF8')")
      }
      #expect(error?.code?.sqlStateClass == "22")
    }
  }

  @Test func veryLongStringsRoundTrip() async throws {
    try await withPool(try await TestCluster.freshPool("inj")) { pool in
      let long = String(repeating: "ß'\"\\;--", count: 400_000)
      let echoed = try await pool.query("SELECT \(long) AS v, length(\(long)) AS n").single()
      #expect(try echoed.decode(String.self, column: "v") == long)
      #expect(try echoed.decode(Int32.self, column: "n") == Int32(long.count))
    }
  }
}

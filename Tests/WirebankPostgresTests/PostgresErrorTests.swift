import Testing
import WirebankPostgres

@Suite struct PostgresErrorTests {
  @Test func uniqueViolationCarriesSQLStateButNotTheValue() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      try await pool.query("CREATE TABLE users (email text CONSTRAINT users_email_key UNIQUE)")
      let email = "secret.person@example.com"
      try await pool.query("INSERT INTO users VALUES (\(email))")
      let error = await #expect(throws: PostgresError.self) {
        try await pool.query("INSERT INTO users VALUES (\(email))")
      }
      #expect(error?.code == .uniqueViolation)
      #expect(error?.kind == .server)
      #expect(error?.constraintName == "users_email_key")
      #expect(error?.serverDetail?.contains(email) == true)
      let description = error.map { "\($0)" } ?? ""
      #expect(description.contains("23505") && description.contains("users_email_key"))
      #expect(!description.contains(email))
    }
  }

  @Test func dataErrorsHideTheServerMessageThatQuotesTheValue() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      let secret = "card-4111111111111111"
      let error = await #expect(throws: PostgresError.self) {
        try await pool.query("SELECT \(secret)::int4")
      }
      #expect(error?.code == .invalidTextRepresentation)
      #expect(error?.serverMessage?.contains(secret) == true)
      #expect(error.map { "\($0)" }?.contains(secret) == false)
    }
  }

  @Test func syntaxErrorsShowTheServerMessage() async throws {
    try await withPool(try await TestCluster.freshPool()) { pool in
      let error = await #expect(throws: PostgresError.self) { try await pool.query("SELEC 1") }
      #expect(error?.code == .syntaxError)
      #expect(error.map { "\($0)" }?.contains("syntax error at or near") == true)
      let multiple = await #expect(throws: PostgresError.self) {
        try await pool.query("SELECT 1; SELECT 2")
      }
      #expect(multiple?.code == .syntaxError)
    }
  }

  @Test func codesAreGrowable() {
    let custom = PostgresError.Code(rawValue: "P0001")
    #expect(custom.sqlStateClass == "P0" && custom.description == "P0001")
    #expect(PostgresError.Code.serializationFailure.isTransient)
    #expect(PostgresError.Code.deadlockDetected.isTransient)
    #expect(!PostgresError.Code.uniqueViolation.isTransient)
    #expect(PostgresError.Code.uniqueViolation.description == "23505 unique_violation")
  }

  @Test func configurationParsingAndRedaction() throws {
    let url = try PostgresConfiguration(
      url: "postgresql://alice:s3cret@db.internal:6543/lending?sslmode=disable")
    #expect(url["host"] == "db.internal" && url["port"] == "6543" && url.database == "lending")
    #expect(!url.description.contains("s3cret") && url.description.contains("password=***"))
    let conninfo = try PostgresConfiguration(conninfo: "host=/run/pg dbname='my db' user=wb")
    #expect(conninfo.database == "my db" && conninfo.database("other").database == "other")
    #expect(throws: PostgresError.self) { try PostgresConfiguration(url: "mysql://x") }
    #expect(throws: PostgresError.self) {
      try PostgresConfiguration(conninfo: "host='unterminated")
    }
  }
}

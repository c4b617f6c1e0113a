import Glibc
import Testing
import WirebankPostgres

@Suite struct EmbeddedPostgresTests {
  @Test func aRunningClusterIsReusedAndDatabasesAreCreatedOnce() async throws {
    let shared = try await TestCluster.shared.value
    let again = try await EmbeddedPostgres.start(shared.configuration, logger: TestCluster.logger)
    #expect(shared.startedByThisProcess && !again.startedByThisProcess)
    let first = try await again.createDatabaseIfAbsent("reuse_check")
    let second = try await shared.createDatabaseIfAbsent("reuse_check")
    #expect(first == second && first.database == "reuse_check")
    try await withPool(PostgresPool(configuration: first, logger: TestCluster.logger)) { pool in
      let settings = try await pool.query(
        "SELECT current_setting('listen_addresses'), current_user, current_setting('server_encoding')"
      ).single().decode((String, String, String).self)
      #expect(settings.0 == "" && settings.1 == "wirebank" && settings.2 == "UTF8")
    }
  }

  @Test(arguments: [
    "", "Upper", "1starts_with_digit", "semi;colon", "quote\"", String(repeating: "a", count: 64),
  ])
  func databaseNamesAreChecked(_ name: String) async throws {
    let shared = try await TestCluster.shared.value
    let error = await #expect(throws: EmbeddedPostgresError.self) {
      try await shared.createDatabaseIfAbsent(name)
    }
    #expect(error?.reason == .invalidDatabaseName)
  }

  @Test func missingBinariesNameTheDebianPackage() async throws {
    // Binaries are looked for before the folder is touched, so it need not exist.
    var configuration = EmbeddedPostgres.Configuration(directory: "/nonexistent/wirebank-state")
    configuration.binDirectory = "/nonexistent/bin"
    let error = await #expect(throws: EmbeddedPostgresError.self) {
      try await EmbeddedPostgres.start(configuration, logger: TestCluster.logger)
    }
    #expect(error?.reason == .binariesMissing)
    #expect(error?.message.contains("`postgresql`") == true)
    #expect(access("/nonexistent/wirebank-state", F_OK) != 0)
  }
}

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

  /// The server keeps none of the descriptors of the process that started it: a pipe open
  /// while it started reaches end of file once this process closes its write end. (A listening
  /// socket it kept would go on accepting connections that no one serves.)
  @Test func theServerKeepsNoDescriptorOfTheProcessThatStartedIt() async throws {
    var ends: [Int32] = [0, 0]
    try #require(pipe(&ends) == 0)  // without O_CLOEXEC: a child inherits both ends
    defer { close(ends[0]) }
    let cluster = try await TestCluster.startCluster(named: "descriptors")
    try #require(cluster.startedByThisProcess)
    close(ends[1])
    _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
    // A child another test spawns meanwhile may hold the end for a moment; the server for good.
    try await eventually(timeout: .seconds(10), "no process but this one had the write end") {
      var byte: UInt8 = 0
      return read(ends[0], &byte, 1) == 0
    }
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

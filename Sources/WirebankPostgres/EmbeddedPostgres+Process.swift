import NIOPosix

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Running the PostgreSQL command-line tools: finding them, dropping root, spawning, waiting.
enum ClusterTools {
  /// Debian installs the server under /usr/lib/postgresql/<major>/bin, outside PATH.
  static func findBinaries(in override: String?) throws -> String {
    var candidates: [String] = []
    if let override {
      candidates.append(override)
    } else {
      candidates += debianAndPathDirectories()
    }
    for directory in candidates
    where isExecutable("\(directory)/initdb") && isExecutable("\(directory)/pg_ctl") {
      return directory
    }
    throw EmbeddedPostgresError(
      .binariesMissing,
      "PostgreSQL server programs (initdb, pg_ctl) were not found in "
        + (override ?? "/usr/lib/postgresql/*/bin or PATH")
        + "; install the Debian package `postgresql` (apt-get install postgresql)")
  }

  private static func debianAndPathDirectories() -> [String] {
    var candidates: [String] = []
    let versions = (try? directoryEntries("/usr/lib/postgresql")) ?? []
    candidates += versions.compactMap { Int($0) }.sorted(by: >).map {
      "/usr/lib/postgresql/\($0)/bin"
    }
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
    candidates += path.split(separator: ":").map(String.init)
    return candidates
  }

  /// The account the server runs as when this process is root (PostgreSQL refuses root).
  struct ServerAccount: Sendable {
    var name: String
    var uid: uid_t
    var gid: gid_t
  }

  /// `nil` when not root: the server then runs as this process's user.
  static func serverAccount(preferred: String?) throws -> ServerAccount? {
    guard geteuid() == 0 else { return nil }
    for name in [preferred, "postgres", "nobody"].compactMap({ $0 }) {
      if let entry = getpwnam(name) {
        return ServerAccount(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
      }
    }
    throw EmbeddedPostgresError(
      .directoryUnusable,
      "running as root, but no user `postgres` or `nobody` exists to run the server")
  }

  /// The command line that runs `program` as `account` (via runuser or setpriv) or as is.
  static func commandLine(_ program: String, _ arguments: [String], as account: ServerAccount?)
    throws -> [String]
  {
    guard let account else { return [program] + arguments }
    if let runuser = ["/usr/sbin/runuser", "/sbin/runuser"].first(where: isExecutable) {
      return [runuser, "-u", account.name, "--", program] + arguments
    }
    if let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first(where: isExecutable) {
      return [
        setpriv, "--reuid=\(account.uid)", "--regid=\(account.gid)", "--init-groups", program,
      ]
        + arguments
    }
    throw EmbeddedPostgresError(
      .directoryUnusable, "running as root needs runuser or setpriv (Debian package util-linux)")
  }

  /// Spawns `command`, stdout and stderr to `outputPath`, and waits (blocking) for its status.
  static func run(_ command: [String], outputPath: String) throws -> Int32 {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Nothing else of this process's: `pg_ctl start` leaves the server running, which would keep
    // every descriptor it inherited open for its lifetime (a listening socket goes on accepting
    // connections no one serves, a pipe never reaches end of file).
    closeFrom(3, in: &actions)
    var pid: pid_t = 0
    let status = withArrayOfMutableCStrings(command) { argv in
      guard let argv, let program = command.first else { return EINVAL }
      return posix_spawn(&pid, program, &actions, nil, argv, environ)
    }
    guard status == 0 else {
      throw EmbeddedPostgresError(
        .commandFailed, "cannot start \(command.first ?? "?") (errno \(status))")
    }
    var exitStatus: Int32 = 0
    while waitpid(pid, &exitStatus, 0) < 0 {
      guard errno == EINTR else {
        throw EmbeddedPostgresError(.commandFailed, "waitpid failed (errno \(errno))")
      }
    }
    // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
    return (exitStatus & 0x7f) == 0 ? (exitStatus >> 8) & 0xff : 128 + (exitStatus & 0x7f)
  }

  /// Adds glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; Swift's Glibc
  /// module does not import it): the child closes every descriptor from `first` on.
  private static func closeFrom(_ first: Int32, in actions: inout posix_spawn_file_actions_t) {
    typealias AddCloseFrom =
      @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    // RTLD_DEFAULT (a null handle): the symbol wherever the process has it.
    guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return }
    _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, first)
  }

  /// Runs blocking `body` on a short-lived thread of its own.
  static func offloaded<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result)
    async throws -> Result
  {
    let threadPool = NIOThreadPool(numberOfThreads: 1)
    threadPool.start()
    defer { threadPool.shutdownGracefully { _ in } }
    return try await threadPool.runBlocking(body)
  }

  static func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }

  static func directoryEntries(_ path: String) throws -> [String] {
    guard let directory = opendir(path) else {
      throw EmbeddedPostgresError(.directoryUnusable, path)
    }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
        String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// The last `limit` bytes of a text file, for error messages.
  static func tail(of path: String, limit: Int = 2000) -> String {
    guard let file = fopen(path, "r") else { return "" }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = fread(&buffer, 1, buffer.count, file)
      if count <= 0 { break }
      bytes += buffer[0..<count]
      if bytes.count > limit * 4 { bytes.removeFirst(bytes.count - limit) }
    }
    return String(decoding: bytes.suffix(limit), as: UTF8.self).trimmingTrailingWhitespace()
  }
}

private func withArrayOfMutableCStrings<Result>(
  _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> Result
) -> Result {
  let copies = strings.map { strdup($0) } + [nil]
  defer { copies.forEach { free($0) } }
  return copies.withUnsafeBufferPointer { body($0.baseAddress) }
}

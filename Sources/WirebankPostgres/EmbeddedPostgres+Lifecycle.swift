#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

extension EmbeddedPostgres {
  /// Sets up and starts the server (blocking); false if it was already running.
  func startBlocking() throws -> Bool {
    try prepareDirectories()
    if access(dataDirectory + "/PG_VERSION", F_OK) != 0 {
      let sync = configuration.settings["fsync"] == "off" ? ["--no-sync"] : []
      try runTool(
        "initdb",
        [
          "-D", dataDirectory, "-U", configuration.superuser, "--auth=trust", "--encoding=UTF8",
          "--locale=C",
        ] + sync)
      try appendLine("include_if_exists = 'wirebank.conf'", to: dataDirectory + "/postgresql.conf")
    }
    try writeSettings()
    if runningServerPID() != nil { return false }
    try runTool(
      "pg_ctl",
      ["start", "-D", dataDirectory, "-l", directory + "/server.log", "-w", "-t", "120", "-s"])
    return true
  }

  /// The postmaster's PID when `postmaster.pid` names a live process.
  func runningServerPID() -> pid_t? {
    let contents = ClusterTools.tail(of: dataDirectory + "/postmaster.pid", limit: 4096)
    guard let first = contents.split(separator: "\n").first, let pid = pid_t(first), pid > 0 else {
      return nil
    }
    return kill(pid, 0) == 0 || errno == EPERM ? pid : nil
  }

  /// Runs one of the cluster's tools as the server's user; its output goes into the error.
  func runTool(_ name: String, _ arguments: [String]) throws {
    let command = try ClusterTools.commandLine(binDirectory + "/" + name, arguments, as: account)
    let outputPath = directory + "/\(name).out"
    let status = try ClusterTools.run(command, outputPath: outputPath)
    guard status == 0 else {
      var output = ClusterTools.tail(of: outputPath)
      if name == "pg_ctl" {
        output += "\n--- server.log ---\n" + ClusterTools.tail(of: directory + "/server.log")
      }
      throw EmbeddedPostgresError(
        .commandFailed, "\(name) \(arguments.first ?? "") exited with status \(status):\n\(output)")
    }
  }

  private func prepareDirectories() throws {
    for folder in [directory, socketDirectory] {
      try makeDirectories(folder)
      if let account {
        guard chown(folder, account.uid, account.gid) == 0 else {
          throw EmbeddedPostgresError(
            .directoryUnusable, "cannot hand \(folder) to \(account.name)")
        }
      }
    }
    if let account { try checkReachable(directory, by: account) }
  }

  /// The server's user must be able to enter every folder above the cluster's.
  private func checkReachable(_ path: String, by account: ClusterTools.ServerAccount) throws {
    var ancestor = ""
    for component in path.split(separator: "/").dropLast() {
      ancestor += "/" + component
      var info = stat()
      guard stat(ancestor, &info) == 0 else { continue }
      if info.st_uid != account.uid && info.st_mode & 0o001 == 0 {
        throw EmbeddedPostgresError(
          .directoryUnusable,
          "as root, PostgreSQL runs as user \(account.name), who cannot enter \(ancestor); "
            + "choose a state folder outside it or allow others to enter it (chmod o+x)")
      }
    }
  }

  private func makeDirectories(_ path: String) throws {
    var prefix = ""
    for component in path.split(separator: "/") {
      prefix += "/" + component
      if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
        throw EmbeddedPostgresError(.directoryUnusable, "cannot create \(prefix) (errno \(errno))")
      }
    }
  }

  /// Settings are rewritten on every start, so changes to the configuration take effect.
  private func writeSettings() throws {
    var settings = [
      "listen_addresses": "", "unix_socket_directories": socketDirectory,
      "port": String(configuration.port), "unix_socket_permissions": "0700",
    ]
    settings.merge(configuration.settings) { _, new in new }
    let text = settings.sorted { $0.key < $1.key }.map { key, value in
      let quoted = value.split(separator: "'", omittingEmptySubsequences: false)
        .joined(separator: "''")
      return "\(key) = '\(quoted)'"
    }.joined(separator: "\n")
    try writeFile(dataDirectory + "/wirebank.conf", text + "\n", truncate: true)
  }

  private func appendLine(_ line: String, to path: String) throws {
    try writeFile(path, "\n" + line + "\n", truncate: false)
  }

  private func writeFile(_ path: String, _ text: String, truncate: Bool) throws {
    guard let file = fopen(path, truncate ? "w" : "a") else {
      throw EmbeddedPostgresError(.directoryUnusable, "cannot write \(path) (errno \(errno))")
    }
    defer { fclose(file) }
    guard fputs(text, file) >= 0 else {
      throw EmbeddedPostgresError(.directoryUnusable, "cannot write \(path)")
    }
  }

  static func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    let cwd = String(
      decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return cwd + "/" + path
  }
}

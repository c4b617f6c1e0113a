import CLibpq

/// Where and how to connect: the key/value parameters libpq understands.
///
/// Built from a URL (`postgresql://user@host/db?sslmode=disable`), a conninfo string
/// (`host=/run/pg dbname=lending`), or a Unix socket directory. Parsing is libpq's own, so every
/// libpq parameter works; `description` hides the password.
public struct PostgresConfiguration: Sendable, Hashable, CustomStringConvertible {
  /// One libpq connection parameter, such as `dbname` = `lending`.
  public struct Parameter: Sendable, Hashable {
    /// The libpq keyword.
    public var keyword: String
    /// Its value.
    public var value: String
  }

  /// The parameters, in the order given.
  public private(set) var parameters: [Parameter]

  /// A configuration from a `postgres://` or `postgresql://` URL.
  /// - Throws: `PostgresError` of kind `invalidConfiguration` with libpq's reason.
  public init(url: String) throws {
    guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
      throw PostgresError(
        .invalidConfiguration, reason: "a database URL starts with postgresql:// or postgres://")
    }
    try self.init(conninfo: url)
  }

  /// A configuration from a conninfo string (`key=value …`) or a URL.
  /// - Throws: `PostgresError` of kind `invalidConfiguration` with libpq's reason.
  public init(conninfo: String) throws {
    var errorMessage: UnsafeMutablePointer<CChar>?
    guard let options = PQconninfoParse(conninfo, &errorMessage) else {
      let reason = errorMessage.map { String(cString: $0).trimmingTrailingWhitespace() }
      errorMessage.map { PQfreemem($0) }
      throw PostgresError(
        .invalidConfiguration, reason: reason ?? "the connection string cannot be parsed")
    }
    defer { PQconninfoFree(options) }
    var parameters: [Parameter] = []
    var option = options
    while let keyword = option.pointee.keyword {
      if let value = option.pointee.val {
        parameters.append(
          Parameter(keyword: String(cString: keyword), value: String(cString: value)))
      }
      option += 1
    }
    self.parameters = parameters
  }

  /// A configuration for a server listening on a Unix socket in `directory`.
  public init(
    unixSocketDirectory directory: String, port: Int = 5432, database: String, user: String
  ) {
    parameters = [
      Parameter(keyword: "host", value: directory), Parameter(keyword: "port", value: String(port)),
      Parameter(keyword: "dbname", value: database), Parameter(keyword: "user", value: user),
    ]
  }

  /// The value of a libpq parameter, if set.
  public subscript(keyword: String) -> String? {
    parameters.last { $0.keyword == keyword }?.value
  }

  /// A copy with `keyword` set to `value` (replacing any earlier value).
  public func setting(_ keyword: String, to value: String) -> PostgresConfiguration {
    var copy = self
    copy.parameters.removeAll { $0.keyword == keyword }
    copy.parameters.append(Parameter(keyword: keyword, value: value))
    return copy
  }

  /// The database name, if set.
  public var database: String? { self["dbname"] }

  /// A copy that connects to another database on the same server.
  public func database(_ name: String) -> PostgresConfiguration { setting("dbname", to: name) }

  /// The parameters as `key=value` pairs, with the password replaced by `***`.
  public var description: String {
    parameters.map { "\($0.keyword)=\($0.keyword == "password" ? "***" : $0.value)" }
      .joined(separator: " ")
  }

  /// The parameters handed to libpq: ours, plus UTF-8 and an application name unless set.
  var connectionParameters: [Parameter] {
    var result = parameters.filter { $0.keyword != "client_encoding" }
    result.append(Parameter(keyword: "client_encoding", value: "UTF8"))
    if self["application_name"] == nil && self["fallback_application_name"] == nil {
      result.append(Parameter(keyword: "fallback_application_name", value: "wirebank"))
    }
    if self["connect_timeout"] == nil {
      result.append(Parameter(keyword: "connect_timeout", value: "10"))
    }
    return result
  }
}

import CLibpq

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// One libpq connection: a statement is sent, then its answer read as it arrives
/// (`startStatement`, `advanceStatement`); connecting and scripts block.
///
/// Not thread-safe: `PostgresConnection` serialises every use behind a mutex and runs the blocking
/// calls on a thread pool. The `PGconn` is owned here and freed exactly once, in `deinit`.
final class LibpqConnection {
  let handle: OpaquePointer
  /// Set when the connection was left in a state it cannot be reused from (a COPY, or a pipeline
  /// whose results could not be read to the end).
  var isPoisoned = false
  /// The statements prepared on the server, by text and parameter types.
  var statements = PreparedStatementCache()
  /// Round trips made so far: one per statement, script or pipeline (for tests and benchmarks).
  var roundTrips = 0
  /// The statement sent and not yet answered in full (see `startStatement`).
  var inFlight: PendingStatement?

  /// Connects (blocking) with the given key/value parameters.
  init(parameters: [PostgresConfiguration.Parameter]) throws {
    let keywords = parameters.map(\.keyword)
    let values = parameters.map(\.value)
    let connection = withArrayOfCStrings(keywords) { keywords in
      withArrayOfCStrings(values) { values in PQconnectdbParams(keywords, values, 0) }
    }
    guard let connection else {
      throw PostgresError(.connectionFailed, reason: "libpq could not allocate a connection")
    }
    guard PQstatus(connection) == CONNECTION_OK else {
      let message = Self.message(PQerrorMessage(connection))
      PQfinish(connection)
      throw PostgresError(.connectionFailed, reason: message)
    }
    handle = connection
    // Notices (such as "relation already exists, skipping") would otherwise go to stderr.
    PQsetNoticeProcessor(handle, { _, _ in }, nil)
  }

  deinit { PQfinish(handle) }

  /// Whether the connection is known to be unusable.
  var isBroken: Bool {
    isPoisoned || isDisconnected || PQpipelineStatus(handle) != PQ_PIPELINE_OFF
  }

  /// Whether libpq lost the connection to the server (failed errors then mean `connectionLost`).
  var isDisconnected: Bool { PQstatus(handle) != CONNECTION_OK }

  /// Whether no transaction is open and no command is running.
  var isIdle: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

  /// Whether a transaction block is open (possibly failed).
  var isInTransaction: Bool {
    let status = PQtransactionStatus(handle)
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
  }

  /// The server process serving this connection.
  var backendPID: Int32 { PQbackendPID(handle) }

  /// The socket, for waiting on input with `poll`.
  var socket: Int32 { PQsocket(handle) }

  /// A handle that can ask the server to cancel the running statement from another thread.
  func makeCanceller() -> LibpqCanceller? { PQgetCancel(handle).map(LibpqCanceller.init) }

  /// Runs a script of one or more statements with no parameters (blocking, simple protocol).
  func executeScript(_ sql: String) throws {
    roundTrips += 1
    let result = PQexec(handle, sql)
    _ = try check(result, query: String(sql.prefix(200)))
  }

  /// Reads whatever input is waiting without blocking.
  func consumeInput() throws {
    guard PQconsumeInput(handle) == 1 else {
      throw PostgresError(.connectionLost, reason: Self.message(PQerrorMessage(handle)))
    }
  }

  /// The notifications received so far (after `consumeInput`).
  func takeNotifications() -> [PostgresNotification] {
    var notifications: [PostgresNotification] = []
    while let notify = PQnotifies(handle) {
      defer { PQfreemem(notify) }
      notifications.append(
        PostgresNotification(
          channel: String(cString: notify.pointee.relname),
          payload: notify.pointee.extra.map { String(cString: $0) } ?? "",
          backendPID: notify.pointee.be_pid))
    }
    return notifications
  }

  /// A cheap check for a connection that sat idle: no blocking, no round trip.
  ///
  /// An idle connection should receive nothing. If its socket is readable, the server has closed
  /// it or sent a shutdown notice, so it is not worth keeping.
  func looksHealthyWhileIdle() -> Bool {
    guard !isBroken, isIdle else { return false }
    var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
    return poll(&descriptor, 1, 0) == 0
  }

  private func check(_ result: OpaquePointer?, query: String) throws -> PostgresRows {
    guard let result else { throw lostError(query: query) }
    switch PQresultStatus(result) {
    case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
      return PostgresRows(storage: ResultStorage(taking: result, query: query))
    case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR:
      defer { PQclear(result) }
      throw serverError(result, query: query)
    default:
      PQclear(result)
      isPoisoned = true
      throw PostgresError(
        .unexpectedResponse, reason: "COPY and pipelined results are not supported", query: query)
    }
  }

  func serverError(_ result: OpaquePointer, query: String) -> PostgresError {
    let field = { (code: UInt8) in
      PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
    }
    let sqlState = field(UInt8(ascii: "C"))
    let broken = isDisconnected
    var error = PostgresError(
      broken ? .connectionLost : .server, code: sqlState.map(PostgresError.Code.init(rawValue:)),
      reason: sqlState == nil ? Self.message(PQerrorMessage(handle)) : "statement failed",
      query: query)
    error.serverMessage = field(UInt8(ascii: "M"))
    error.serverDetail = field(UInt8(ascii: "D"))
    error.constraintName = field(UInt8(ascii: "n"))
    error.tableName = field(UInt8(ascii: "t"))
    error.columnName = field(UInt8(ascii: "c"))
    return error
  }

  static func message(_ text: UnsafePointer<CChar>?) -> String {
    guard let text else { return "unknown libpq error" }
    let message = String(cString: text).trimmingTrailingWhitespace()
    return message.isEmpty ? "unknown libpq error" : message
  }
}

/// libpq's cancel handle: `PQcancel` may be called from any thread, even while the connection
/// is in use on another, which is the point of it.
final class LibpqCanceller: @unchecked Sendable {
  private let handle: OpaquePointer
  init(_ handle: OpaquePointer) { self.handle = handle }
  deinit { PQfreeCancel(handle) }

  /// Asks the server to cancel whatever the connection is running (blocking, brief).
  func cancel() {
    var buffer = [CChar](repeating: 0, count: 256)
    _ = PQcancel(handle, &buffer, Int32(buffer.count))
  }
}

func withArrayOfCStrings<Result>(
  _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> Result
) -> Result {
  let copies = strings.map { strdup($0) }
  defer { copies.forEach { free($0) } }
  let pointers = copies.map { UnsafePointer($0) } + [nil]
  return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

extension String {
  func trimmingTrailingWhitespace() -> String {
    var text = Substring(self)
    while let last = text.last, last.isWhitespace { text = text.dropLast() }
    return String(text)
  }
}

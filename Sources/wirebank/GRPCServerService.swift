import Logging
import ServiceLifecycle
import WirebankHTTP2
import WirebankInterop

/// An `HTTP2Server` as a service-lifecycle `Service`: graceful shutdown sends GOAWAY and lets
/// calls in flight finish.
struct GRPCServerService: Service {
  let server: HTTP2Server
  let health: HealthService?

  func run() async throws {
    try await withGracefulShutdownHandler {
      try await server.run()
    } onGracefulShutdown: {
      health?.enterShutdown()
      server.beginGracefulShutdown()
    }
  }
}

/// Runs services until SIGTERM or SIGINT, then shuts them down gracefully.
enum ServiceRunner {
  static func run(_ services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    try await group.run()
  }
}

/// The process's logging: to stderr, at `info` unless `WIREBANK_LOG_LEVEL` says otherwise.
enum CommandLogging {
  static func logger(label: String, defaultLevel: Logger.Level = .info) -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    if let name = ProcessEnvironment.value("WIREBANK_LOG_LEVEL"),
      let level = Logger.Level(rawValue: name)
    {
      logger.logLevel = level
    } else {
      logger.logLevel = defaultLevel
    }
    return logger
  }
}

/// Lines for people and scripts on standard output, unbuffered (scripts wait for them).
enum Console {
  static func line(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { bytes in
      var offset = 0
      while offset < bytes.count {
        let written = write(1, bytes.baseAddress! + offset, bytes.count - offset)
        if written <= 0 { return }
        offset += written
      }
    }
  }
}

/// Reads environment variables.
enum ProcessEnvironment {
  static func value(_ name: String) -> String? {
    guard let raw = getenv(name) else { return nil }
    return String(cString: raw)
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

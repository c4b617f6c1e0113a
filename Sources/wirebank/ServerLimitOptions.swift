import ArgumentParser
import WirebankHTTP2

/// Command-line options for a gRPC server's limits and timers (shared by serving commands).
struct ServerLimitOptions: ParsableArguments {
  @Option(help: "SETTINGS_MAX_CONCURRENT_STREAMS advertised to clients.")
  var maxConcurrentStreams: UInt32?

  @Option(help: "The largest request message accepted, in bytes.")
  var maxMessageSize: Int?

  @Option(help: "Close connections without calls after this many seconds (0: never).")
  var idleTimeout: Double?

  @Option(help: "PING a silent client after this many seconds (0: never).")
  var keepaliveInterval: Double?

  @Option(help: "Close the connection when a keepalive PING is unanswered for this many seconds.")
  var keepaliveTimeout: Double?

  @Option(help: "Seconds that graceful shutdown lets calls in flight finish.")
  var shutdownGrace: Double?

  /// `configuration` with the options given on the command line applied.
  func apply(to configuration: HTTP2Server.Configuration) -> HTTP2Server.Configuration {
    var configuration = configuration
    if let maxConcurrentStreams { configuration.settings.maxConcurrentStreams = maxConcurrentStreams }
    if let maxMessageSize { configuration.maximumRequestSize = maxMessageSize }
    if let idleTimeout { configuration.idleTimeout = idleTimeout > 0 ? .seconds(idleTimeout) : nil }
    if let keepaliveInterval {
      configuration.keepaliveInterval = keepaliveInterval > 0 ? .seconds(keepaliveInterval) : nil
    }
    if let keepaliveTimeout { configuration.keepaliveTimeout = .seconds(keepaliveTimeout) }
    if let shutdownGrace { configuration.shutdownGracePeriod = .seconds(shutdownGrace) }
    return configuration
  }
}

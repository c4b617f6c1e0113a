/// Where a service listens: `host:port` (an IPv6 address in brackets: `[::1]:50051`).
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
  /// The host name or address.
  public var host: String
  /// The TCP port.
  public var port: Int

  /// The address `host:port`.
  public init(host: String, port: Int) {
    self.host = host
    self.port = port
  }

  /// Parses `host:port`, `[v6]:port` or a bare `port` (meaning 127.0.0.1).
  /// - Throws: `PeerAddressError` naming what is wrong.
  public init(parsing text: String) throws(PeerAddressError) {
    let trimmed = text.trimmingSpaces
    if let port = Int(trimmed) {
      self.init(host: "127.0.0.1", port: try Self.checked(port, in: text))
      return
    }
    guard let colon = trimmed.lastIndex(of: ":") else {
      throw PeerAddressError("\(text): expected host:port")
    }
    var host = String(trimmed[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty, let port = Int(trimmed[trimmed.index(after: colon)...]) else {
      throw PeerAddressError("\(text): expected host:port")
    }
    self.init(host: host, port: try Self.checked(port, in: text))
  }

  /// `host:port`, with an IPv6 host in brackets.
  public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

  private static func checked(_ port: Int, in text: String) throws(PeerAddressError) -> Int {
    guard (1...65_535).contains(port) else {
      throw PeerAddressError("\(text): the port must be between 1 and 65535")
    }
    return port
  }
}

/// The peers of a service, from `--peers scoring=host:port,product-engine=host:port,…`.
public struct PeerAddresses: Sendable, Hashable {
  /// The address of each named peer.
  public var addresses: [LendingService: PeerAddress]

  /// Peers at the given addresses.
  public init(_ addresses: [LendingService: PeerAddress] = [:]) { self.addresses = addresses }

  /// Parses a comma-separated list of `service=host:port`.
  /// - Throws: `PeerAddressError` for an unknown service, a repeated one or a bad address.
  public init(parsing text: String) throws(PeerAddressError) {
    var addresses: [LendingService: PeerAddress] = [:]
    for entry in text.split(separator: ",") where !entry.trimmingSpaces.isEmpty {
      let parts = entry.split(separator: "=", maxSplits: 1)
      guard parts.count == 2, let service = LendingService(rawValue: parts[0].trimmingSpaces)
      else {
        let known = LendingService.allCases.map(\.rawValue).joined(separator: ", ")
        throw PeerAddressError("\(entry): expected service=host:port with a service of \(known)")
      }
      guard addresses[service] == nil else { throw PeerAddressError("\(service) is given twice") }
      addresses[service] = try PeerAddress(parsing: String(parts[1]))
    }
    self.init(addresses)
  }

  /// The address of `service`.
  public subscript(service: LendingService) -> PeerAddress? { addresses[service] }

  /// Checks that every peer `service` calls has an address.
  /// - Throws: `PeerAddressError` naming the missing ones.
  public func checkComplete(for service: LendingService) throws(PeerAddressError) {
    let missing = service.peers.filter { addresses[$0] == nil }
    guard missing.isEmpty else {
      let example = service.peers.map { "\($0)=127.0.0.1:\(50051 + $0.portOffset)" }
        .joined(separator: ",")
      throw PeerAddressError(
        "\(service) calls \(missing.map(\.rawValue).joined(separator: " and ")): "
          + "pass --peers \(example)")
    }
  }
}

/// A malformed address or peer list.
public struct PeerAddressError: Error, Sendable, CustomStringConvertible {
  /// What is wrong.
  public var description: String

  init(_ description: String) { self.description = description }
}

extension StringProtocol {
  var trimmingSpaces: String {
    String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
  }
}

import Foundation
import SwiftProtobuf
import WirebankContracts
import WirebankProtobuf

/// Wire bytes of one row, checked to carry the same values on both sides.
struct CheckedRow {
  var wirebankBytes: [UInt8]
  var swiftProtobufBytes: [UInt8]
  /// "identical bytes" or why they differ while meaning the same.
  var note: String
}

struct CrosscheckFailure: Error, CustomStringConvertible {
  var description: String
}

/// Before anything is timed: both libraries encode to the same length, each decodes the other's
/// bytes to a value equal to its own sample, and each round-trips its own bytes.
func crosscheck<W: ProtobufMessage, S: SwiftProtobuf.Message & Equatable>(
  _ name: String, wirebank: W, swiftProtobuf: S, mapsInside: Bool
) throws -> CheckedRow {
  let wirebankBytes = try wirebank.serializedBytes()
  let swiftProtobufBytes: [UInt8] = try swiftProtobuf.serializedBytes()
  func fail(_ what: String) -> CrosscheckFailure {
    CrosscheckFailure(description: "\(name): \(what)")
  }
  guard wirebankBytes.count == swiftProtobufBytes.count else {
    throw fail("Wirebank encodes \(wirebankBytes.count) bytes, swift-protobuf \(swiftProtobufBytes.count)")
  }
  guard try S(serializedBytes: wirebankBytes) == swiftProtobuf else {
    throw fail("swift-protobuf decodes Wirebank's bytes to another value")
  }
  guard try W(serializedBytes: swiftProtobufBytes) == wirebank else {
    throw fail("Wirebank decodes swift-protobuf's bytes to another value")
  }
  guard try W(serializedBytes: wirebankBytes) == wirebank,
    try S(serializedBytes: swiftProtobufBytes) == swiftProtobuf
  else { throw fail("a round trip changed the value") }
  // Canonical dumps of both decodes through Wirebank's text writer must agree too.
  guard try W(serializedBytes: wirebankBytes).textDump
    == W(serializedBytes: swiftProtobufBytes).textDump
  else { throw fail("canonical dumps differ") }

  let note: String
  if wirebankBytes == swiftProtobufBytes {
    note = "identical bytes"
  } else if mapsInside, wirebankBytes.sorted() == swiftProtobufBytes.sorted() {
    note = "same bytes in another map-entry order"
  } else {
    throw fail("bytes differ beyond map order")
  }
  return CheckedRow(
    wirebankBytes: wirebankBytes, swiftProtobufBytes: swiftProtobufBytes, note: note)
}

import CProtobufC
import WirebankContracts
import WirebankProtobuf

// The breakdown table: Wirebank's encode and decode taken apart into their stages, each timed on
// its own, through public API only. `CProtobufC` is the main package's system-library target;
// it is not a product, but SwiftPM makes it importable because WirebankProtobuf imports it.
//
//   encode = build the C struct in the arena (+ reset) + protobuf_c_message_pack + the [UInt8]
//   decode = the generic entry point + validation + protobuf_c_message_unpack (+ reset)
//            + conversion of the C struct to Swift values

/// Stage closures for one Wirebank message.
struct Stages {
  var name: String
  /// `withSerializedBytes`: everything but the `[UInt8]` result.
  var encodeIntoArena: () throws -> Void
  /// Only the conversion to the protobuf-c struct, in the thread's arena (reset included).
  var buildCStruct: () throws -> Void
  /// Only `protobuf_c_message_pack` of a prebuilt struct into a preallocated buffer.
  var packOnly: () -> Void
  /// `init(serializedBuffer:)`: decode without the generic `some Collection` entry point.
  var decodeFromBuffer: () throws -> Void
  /// Only `protobuf_c_message_unpack` into the thread's arena (reset included).
  var unpackOnly: () -> Void
  /// Only `init(cStruct:in:)` from a struct unpacked once beforehand.
  var convertOnly: () -> Void
}

/// Arenas and buffers that live as long as the process (the prebuilt and pre-unpacked structs).
nonisolated(unsafe) private var keptArenas: [Arena] = []

func stages<M: ProtobufMessage>(_ name: String, _ message: M, bytes: [UInt8]) throws -> Stages {
  // A C struct built once, in an arena that is never reset, for pack-only.
  let packArena = Arena()
  keptArenas.append(packArena)
  var bound = 0
  let built = try packArena.cMessage(message, bound: &bound)
  let packable = UnsafeRawPointer(built).assumingMemoryBound(to: ProtobufCMessage.self)
  let output = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bound, 1))
  precondition(protobuf_c_message_pack(packable, output) == bytes.count)

  // The input, and a struct unpacked once, for unpack-only and convert-only.
  let input = UnsafeMutablePointer<UInt8>.allocate(capacity: max(bytes.count, 1))
  input.initialize(from: bytes, count: bytes.count)
  let unpackArena = Arena()
  keptArenas.append(unpackArena)
  let unpacked = protobuf_c_message_unpack(
    M.cDescriptor, unpackArena.cAllocator, bytes.count, input)!
  let cStruct = UnsafeRawPointer(unpacked).assumingMemoryBound(to: M.CStruct.self)
  precondition(M(cStruct: cStruct, in: unpackArena) == message)

  return Stages(
    name: name,
    encodeIntoArena: {
      blackHole(try message.withSerializedBytes { $0.count &+ Int($0[0]) })
    },
    buildCStruct: {
      try Arena.withCurrent { (arena) throws(ProtobufEncodingError) in
        var bound = 0
        blackHole(try arena.cMessage(message, bound: &bound))
      }
    },
    packOnly: { blackHole(protobuf_c_message_pack(packable, output)) },
    decodeFromBuffer: {
      try bytes.withUnsafeBytes { blackHole(try M(serializedBuffer: $0)) }
    },
    unpackOnly: {
      Arena.withCurrent { arena in
        blackHole(
          protobuf_c_message_unpack(M.cDescriptor, arena.cAllocator, bytes.count, input))
      }
    },
    convertOnly: { blackHole(M(cStruct: cStruct, in: unpackArena)) })
}

// Named entry points for `--only realistic-build|realistic-pack|realistic-unpack|realistic-convert`
// (callgrind collects one function by name, see callgrind.sh).

@inline(never) func wirebankRealisticBuild(_ stages: Stages) throws { try stages.buildCStruct() }
@inline(never) func wirebankRealisticPack(_ stages: Stages) { stages.packOnly() }
@inline(never) func wirebankRealisticUnpack(_ stages: Stages) { stages.unpackOnly() }
@inline(never) func wirebankRealisticConvert(_ stages: Stages) { stages.convertOnly() }

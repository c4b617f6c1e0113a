import Foundation
import SwiftProtobuf
import WirebankContracts
import WirebankProtobuf

// Wirebank's codecs (over protobuf-c) against swift-protobuf 1.39.0 on the same .proto files.
//
//   swift run -c release CodecBenchmarks                      the tables (one run, ~15 s)
//   swift run -c release CodecBenchmarks --batches 51 --batch-ms 20
//   swift run -c release CodecBenchmarks --only realistic-encode --iterations 10000 [--side swift-protobuf]
//       runs one operation N times untimed, for `valgrind --tool=callgrind` (see README.md)

let usage = """
  usage: CodecBenchmarks [--batches N] [--batch-ms MS] [--warmup-ms MS]
         CodecBenchmarks --only OPERATION [--iterations N] [--side wirebank|swift-protobuf]
  operations: small-encode small-decode realistic-encode realistic-decode
              payload-encode payload-decode memcpy fresh-copy
  diagnostics (Wirebank only): small-decode-buffer realistic-decode-buffer
              small-encode-arena realistic-encode-arena
              realistic-build realistic-pack realistic-unpack realistic-convert
  """

var settings = HarnessSettings()
var only: String? = nil
var iterations = 10_000
var side = "wirebank"
var arguments = CommandLine.arguments.dropFirst()
@MainActor func value(_ flag: String) -> String {
  guard let value = arguments.popFirst() else {
    print("\(flag) needs a value\n\(usage)")
    exit(2)
  }
  return value
}
while let argument = arguments.popFirst() {
  switch argument {
  case "--batches": settings.batches = max(1, Int(value(argument)) ?? settings.batches)
  case "--batch-ms": settings.batchNanoseconds = UInt64(Double(value(argument)) ?? 15) * 1_000_000
  case "--warmup-ms": settings.warmupNanoseconds = UInt64(Double(value(argument)) ?? 100) * 1_000_000
  case "--only": only = value(argument)
  case "--iterations": iterations = Int(value(argument)) ?? iterations
  case "--side": side = value(argument)
  case "-h", "--help":
    print(usage)
    exit(0)
  default:
    print("unknown argument \(argument)\n\(usage)")
    exit(2)
  }
}

// MARK: The samples, checked before anything is timed

let wirebankSmall = WirebankSamples.small
let wirebankRealistic = WirebankSamples.realistic
let wirebankPayload = WirebankSamples.payload
let swiftProtobufSmall = SwiftProtobufSamples.small
let swiftProtobufRealistic = SwiftProtobufSamples.realistic
let swiftProtobufPayload = SwiftProtobufSamples.payload

let small: CheckedRow
let realistic: CheckedRow
let payload: CheckedRow
do {
  small = try crosscheck(
    "small", wirebank: wirebankSmall, swiftProtobuf: swiftProtobufSmall, mapsInside: false)
  realistic = try crosscheck(
    "realistic", wirebank: wirebankRealistic, swiftProtobuf: swiftProtobufRealistic,
    mapsInside: true)
  payload = try crosscheck(
    "payload", wirebank: wirebankPayload, swiftProtobuf: swiftProtobufPayload, mapsInside: false)
} catch {
  print("cross-check failed: \(error)")
  exit(1)
}

// Both sides decode the same input: Wirebank's encoding (the one a Wirebank peer receives).
let smallInput = small.wirebankBytes
let realisticInput = realistic.wirebankBytes
let payloadInput = payload.wirebankBytes
let copySource = Sample.payloadBody
let copyDestination = UnsafeMutableRawPointer.allocate(byteCount: copySource.count, alignment: 64)
memset(copyDestination, 1, copySource.count)  // fault the pages in once

// MARK: --only: one operation, untimed, for callgrind

if let only {
  let wirebank: Bool
  switch side {
  case "wirebank": wirebank = true
  case "swift-protobuf": wirebank = false
  default:
    print("unknown side \(side)\n\(usage)")
    exit(2)
  }
  do {
    let realisticStages = try stages("realistic", wirebankRealistic, bytes: realisticInput)
    for _ in 0..<iterations {
      switch (only, wirebank) {
      case ("small-encode", true): blackHole(try wirebankSmallEncode(wirebankSmall))
      case ("small-encode", false): blackHole(try swiftProtobufSmallEncode(swiftProtobufSmall))
      case ("small-decode", true): blackHole(try wirebankSmallDecode(smallInput))
      case ("small-decode", false): blackHole(try swiftProtobufSmallDecode(smallInput))
      case ("realistic-encode", true): blackHole(try wirebankRealisticEncode(wirebankRealistic))
      case ("realistic-encode", false):
        blackHole(try swiftProtobufRealisticEncode(swiftProtobufRealistic))
      case ("realistic-decode", true): blackHole(try wirebankRealisticDecode(realisticInput))
      case ("realistic-decode", false): blackHole(try swiftProtobufRealisticDecode(realisticInput))
      case ("payload-encode", true): blackHole(try wirebankPayloadEncode(wirebankPayload))
      case ("payload-encode", false): blackHole(try swiftProtobufPayloadEncode(swiftProtobufPayload))
      case ("payload-decode", true): blackHole(try wirebankPayloadDecode(payloadInput))
      case ("payload-decode", false): blackHole(try swiftProtobufPayloadDecode(payloadInput))
      case ("realistic-decode-buffer", true):
        blackHole(try wirebankRealisticDecodeBuffer(realisticInput))
      case ("small-decode-buffer", true): blackHole(try wirebankSmallDecodeBuffer(smallInput))
      case ("realistic-encode-arena", true):
        blackHole(try wirebankRealisticEncodeArena(wirebankRealistic))
      case ("small-encode-arena", true): blackHole(try wirebankSmallEncodeArena(wirebankSmall))
      case ("realistic-build", true): try wirebankRealisticBuild(realisticStages)
      case ("realistic-pack", true): wirebankRealisticPack(realisticStages)
      case ("realistic-unpack", true): wirebankRealisticUnpack(realisticStages)
      case ("realistic-convert", true): wirebankRealisticConvert(realisticStages)
      case ("memcpy", _):
        copySource.withUnsafeBytes { baselineMemcpy(copyDestination, $0) }
        blackHole(copyDestination)
      case ("fresh-copy", _): blackHole(copySource.withUnsafeBytes { baselineFreshCopy($0) })
      default:
        print("unknown operation \(only)\n\(usage)")
        exit(2)
      }
    }
  } catch {
    print("\(only) failed: \(error)")
    exit(1)
  }
  print("ran \(only) (\(side)) \(iterations) times")
  exit(0)
}

// MARK: The table

struct Line {
  var row: String
  var operation: String
  var bytes: Int
  var swiftProtobuf: Measurement?
  var wirebank: Measurement
}

func megabytesPerSecond(_ bytes: Int, _ nanoseconds: Double) -> Double {
  Double(bytes) / nanoseconds * 1e9 / 1e6
}

func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
  let padding = String(repeating: " ", count: max(0, width - text.count))
  return left ? text + padding : padding + text
}

func format(_ value: Double, decimals: Int) -> String {
  String(format: "%.\(decimals)f", value)
}

func nanoseconds(_ value: Double) -> String {
  value >= 100_000 ? format(value, decimals: 0) : format(value, decimals: 1)
}

/// The first three fields of /proc/loadavg: other processes on the machine skew the timings.
func loadAverage() -> String {
  guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
  return text.split(separator: " ").prefix(3).joined(separator: " ")
}

var lines: [Line] = []
let started = nowNanoseconds()
let loadBefore = loadAverage()

func progress(_ text: String) {
  FileHandle.standardError.write(Data("  measuring \(text)…\n".utf8))
}

do {
  progress("small")
  lines.append(
    Line(
      row: "small: Money", operation: "encode", bytes: small.wirebankBytes.count,
      swiftProtobuf: try measure(settings) {
        blackHole(try swiftProtobufSmallEncode(swiftProtobufSmall))
      },
      wirebank: try measure(settings) { blackHole(try wirebankSmallEncode(wirebankSmall)) }))
  lines.append(
    Line(
      row: "small: Money", operation: "decode", bytes: smallInput.count,
      swiftProtobuf: try measure(settings) { blackHole(try swiftProtobufSmallDecode(smallInput)) },
      wirebank: try measure(settings) { blackHole(try wirebankSmallDecode(smallInput)) }))

  progress("realistic")
  lines.append(
    Line(
      row: "realistic: Application", operation: "encode", bytes: realistic.wirebankBytes.count,
      swiftProtobuf: try measure(settings) {
        blackHole(try swiftProtobufRealisticEncode(swiftProtobufRealistic))
      },
      wirebank: try measure(settings) {
        blackHole(try wirebankRealisticEncode(wirebankRealistic))
      }))
  lines.append(
    Line(
      row: "realistic: Application", operation: "decode", bytes: realisticInput.count,
      swiftProtobuf: try measure(settings) {
        blackHole(try swiftProtobufRealisticDecode(realisticInput))
      },
      wirebank: try measure(settings) { blackHole(try wirebankRealisticDecode(realisticInput)) }))

  progress("payload")
  lines.append(
    Line(
      row: "payload: 1 MiB bytes", operation: "encode", bytes: payload.wirebankBytes.count,
      swiftProtobuf: try measure(settings) {
        blackHole(try swiftProtobufPayloadEncode(swiftProtobufPayload))
      },
      wirebank: try measure(settings) { blackHole(try wirebankPayloadEncode(wirebankPayload)) }))
  lines.append(
    Line(
      row: "payload: 1 MiB bytes", operation: "decode", bytes: payloadInput.count,
      swiftProtobuf: try measure(settings) {
        blackHole(try swiftProtobufPayloadDecode(payloadInput))
      },
      wirebank: try measure(settings) { blackHole(try wirebankPayloadDecode(payloadInput)) }))
} catch {
  print("benchmark failed: \(error)")
  exit(1)
}

progress("baselines")
let memcpyLine = copySource.withUnsafeBytes { source in
  Line(
    row: "baseline: 1 MiB memcpy", operation: "prealloc", bytes: source.count,
    swiftProtobuf: nil,
    wirebank: measure(settings) {
      baselineMemcpy(copyDestination, source)
      blackHole(copyDestination)
    })
}
let freshCopyLine = copySource.withUnsafeBytes { source in
  Line(
    row: "baseline: 1 MiB [UInt8]", operation: "fresh", bytes: source.count, swiftProtobuf: nil,
    wirebank: measure(settings) { blackHole(baselineFreshCopy(source)) })
}
lines.append(memcpyLine)
lines.append(freshCopyLine)

// The breakdown: Wirebank's stages, timed one by one (Stages.swift).
progress("Wirebank stages")
struct StageTimes {
  var encodeIntoArena, buildCStruct, packOnly, decodeFromBuffer, unpackOnly, convertOnly: Double
}
@MainActor func time(_ stages: Stages) throws -> StageTimes {
  StageTimes(
    encodeIntoArena: try measure(settings) { try stages.encodeIntoArena() }.median,
    buildCStruct: try measure(settings) { try stages.buildCStruct() }.median,
    packOnly: measure(settings) { stages.packOnly() }.median,
    decodeFromBuffer: try measure(settings) { try stages.decodeFromBuffer() }.median,
    unpackOnly: measure(settings) { stages.unpackOnly() }.median,
    convertOnly: measure(settings) { stages.convertOnly() }.median)
}
let smallStages: StageTimes
let realisticStages: StageTimes
do {
  smallStages = try time(try stages("small", wirebankSmall, bytes: smallInput))
  realisticStages = try time(try stages("realistic", wirebankRealistic, bytes: realisticInput))
} catch {
  print("stage measurement failed: \(error)")
  exit(1)
}

// MARK: Print

print(
  """

  Codec benchmarks: Wirebank (protobuf-c) vs swift-protobuf 1.39.0, same .proto files
  median ns/op of \(settings.batches) batches of ~\(settings.batchNanoseconds / 1_000_000) ms each; \
  MB/s = 10^6 wire bytes per second; ratio = swift-protobuf / Wirebank (> 1: Wirebank faster)
  cross-check: small \(small.note); realistic \(realistic.note); payload \(payload.note)

  """)
let header = [
  pad("row", 24, left: true), pad("op", 8, left: true), pad("bytes", 8),
  pad("swift-protobuf ns/op", 21), pad("MB/s", 8), pad("Wirebank ns/op", 15), pad("MB/s", 8),
  pad("ratio", 7),
].joined(separator: " ")
print(header)
print(String(repeating: "-", count: header.count))
for line in lines {
  var columns = [
    pad(line.row, 24, left: true), pad(line.operation, 8, left: true), pad("\(line.bytes)", 8),
  ]
  if let peer = line.swiftProtobuf {
    columns.append(pad(nanoseconds(peer.median), 21))
    columns.append(pad(format(megabytesPerSecond(line.bytes, peer.median), decimals: 0), 8))
  } else {
    columns.append(pad("", 21))
    columns.append(pad("", 8))
  }
  columns.append(pad(nanoseconds(line.wirebank.median), 15))
  columns.append(pad(format(megabytesPerSecond(line.bytes, line.wirebank.median), decimals: 0), 8))
  if let peer = line.swiftProtobuf {
    columns.append(pad(format(peer.median / line.wirebank.median, decimals: 2) + "x", 7))
  }
  print(columns.joined(separator: " "))
}
let payloadEncode = lines[4].wirebank.median
let payloadDecode = lines[5].wirebank.median
print(
  """

  1 MiB payload vs a plain copy (goal ≤ 1.2x):
    Wirebank encode / memcpy \(format(payloadEncode / memcpyLine.wirebank.median, decimals: 2))x, \
  / fresh [UInt8] copy \(format(payloadEncode / freshCopyLine.wirebank.median, decimals: 2))x
    Wirebank decode / memcpy \(format(payloadDecode / memcpyLine.wirebank.median, decimals: 2))x, \
  / fresh [UInt8] copy \(format(payloadDecode / freshCopyLine.wirebank.median, decimals: 2))x
  spread (min–max batch ns/op, Wirebank): \
  \(lines.map { "\($0.operation == "encode" || $0.operation == "decode" ? String($0.row.split(separator: ":")[0]) + "-" + $0.operation : $0.operation) \(nanoseconds($0.wirebank.min))–\(nanoseconds($0.wirebank.max))" }.joined(separator: ", "))
  """)

func stageLine(_ label: String, _ small: Double, _ realistic: Double) {
  print(
    [pad(label, 58, left: true), pad(nanoseconds(small), 10), pad(nanoseconds(realistic), 12)]
      .joined(separator: " "))
}
print(
  """

  Wirebank taken apart (median ns/op; each stage timed on its own, so parts need not add up)
  """)
let stageHeader = [pad("stage", 58, left: true), pad("small", 10), pad("realistic", 12)]
  .joined(separator: " ")
print(stageHeader)
print(String(repeating: "-", count: stageHeader.count))
stageLine("encode: serializedBytes() -> [UInt8] (table above)", lines[0].wirebank.median, lines[2].wirebank.median)
stageLine("  withSerializedBytes (packs into the arena, no [UInt8])", smallStages.encodeIntoArena, realisticStages.encodeIntoArena)
stageLine("  Swift -> protobuf-c struct in the arena (+ reset)", smallStages.buildCStruct, realisticStages.buildCStruct)
stageLine("  protobuf_c_message_pack of a prebuilt struct", smallStages.packOnly, realisticStages.packOnly)
stageLine("decode: init(serializedBytes: [UInt8]) (table above)", lines[1].wirebank.median, lines[3].wirebank.median)
stageLine("  init(serializedBuffer:) (no generic Collection entry)", smallStages.decodeFromBuffer, realisticStages.decodeFromBuffer)
stageLine("  protobuf_c_message_unpack into the arena (+ reset)", smallStages.unpackOnly, realisticStages.unpackOnly)
stageLine("  protobuf-c struct -> Swift values, init(cStruct:in:)", smallStages.convertOnly, realisticStages.convertOnly)
stageLine(
  "  rest: WireValidator + glue (by difference)",
  smallStages.decodeFromBuffer - smallStages.unpackOnly - smallStages.convertOnly,
  realisticStages.decodeFromBuffer - realisticStages.unpackOnly - realisticStages.convertOnly)
print(
  "\ntotal \(format(Double(nowNanoseconds() - started) / 1e9, decimals: 1)) s; "
    + "load average before \(loadBefore), after \(loadAverage()) (2 cores)")

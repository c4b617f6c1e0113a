import Foundation
import SwiftProtobuf
import WirebankContracts
import WirebankProtobuf

// One non-inlined function per timed operation: the harness calls them in its loop, and
// callgrind can collect exactly one of them (`--toggle-collect='*wirebankRealisticEncode*'`).
// Decoding functions take `[UInt8]`, the type a transport hands over, on both sides.

// MARK: Wirebank (protobuf-c)

@inline(never)
func wirebankSmallEncode(_ message: WirebankContracts.CommonMoney) throws -> [UInt8] {
  try message.serializedBytes()
}

@inline(never)
func wirebankSmallDecode(_ bytes: [UInt8]) throws -> WirebankContracts.CommonMoney {
  try WirebankContracts.CommonMoney(serializedBytes: bytes)
}

@inline(never)
func wirebankRealisticEncode(_ message: WirebankContracts.OriginationApplication) throws
  -> [UInt8]
{
  try message.serializedBytes()
}

@inline(never)
func wirebankRealisticDecode(_ bytes: [UInt8]) throws -> WirebankContracts.OriginationApplication
{
  try WirebankContracts.OriginationApplication(serializedBytes: bytes)
}

@inline(never)
func wirebankPayloadEncode(_ message: WirebankContracts.Grpc_Testing_Payload) throws -> [UInt8] {
  try message.serializedBytes()
}

@inline(never)
func wirebankPayloadDecode(_ bytes: [UInt8]) throws -> WirebankContracts.Grpc_Testing_Payload {
  try WirebankContracts.Grpc_Testing_Payload(serializedBytes: bytes)
}

// MARK: swift-protobuf 1.39.0 (generated into this module, internal)

@inline(never)
func swiftProtobufSmallEncode(_ message: CommonMoney) throws -> [UInt8] {
  try message.serializedBytes()
}

@inline(never)
func swiftProtobufSmallDecode(_ bytes: [UInt8]) throws -> CommonMoney {
  try CommonMoney(serializedBytes: bytes)
}

@inline(never)
func swiftProtobufRealisticEncode(_ message: OriginationApplication) throws -> [UInt8] {
  try message.serializedBytes()
}

@inline(never)
func swiftProtobufRealisticDecode(_ bytes: [UInt8]) throws -> OriginationApplication {
  try OriginationApplication(serializedBytes: bytes)
}

@inline(never)
func swiftProtobufPayloadEncode(_ message: Grpc_Testing_Payload) throws -> [UInt8] {
  try message.serializedBytes()
}

@inline(never)
func swiftProtobufPayloadDecode(_ bytes: [UInt8]) throws -> Grpc_Testing_Payload {
  try Grpc_Testing_Payload(serializedBytes: bytes)
}

// MARK: Baselines: a plain 1 MiB copy

@inline(never)
func baselineMemcpy(
  _ destination: UnsafeMutableRawPointer, _ source: UnsafeRawBufferPointer
) {
  memcpy(destination, source.baseAddress!, source.count)
}

@inline(never)
func baselineFreshCopy(_ source: UnsafeRawBufferPointer) -> [UInt8] {
  [UInt8](unsafeUninitializedCapacity: source.count) { buffer, count in
    memcpy(buffer.baseAddress!, source.baseAddress!, source.count)
    count = source.count
  }
}

// MARK: Diagnostics (Wirebank only, `--only` mode): the same work through other public entry points

/// `init(serializedBuffer:)` straight from the array's storage, skipping the generic
/// `some Collection<UInt8>` entry point (`withContiguousStorageIfAvailable` + `Result`).
@inline(never)
func wirebankRealisticDecodeBuffer(_ bytes: [UInt8]) throws
  -> WirebankContracts.OriginationApplication
{
  try bytes.withUnsafeBytes { try WirebankContracts.OriginationApplication(serializedBuffer: $0) }
}

@inline(never)
func wirebankSmallDecodeBuffer(_ bytes: [UInt8]) throws -> WirebankContracts.CommonMoney {
  try bytes.withUnsafeBytes { try WirebankContracts.CommonMoney(serializedBuffer: $0) }
}

/// `withSerializedBytes`: packs into the arena and reads the bytes there (what a transport that
/// copies into its socket buffer would do), skipping the `[UInt8]` allocation.
@inline(never)
func wirebankRealisticEncodeArena(_ message: WirebankContracts.OriginationApplication) throws
  -> Int
{
  try message.withSerializedBytes { $0.count &+ Int($0[0]) }
}

@inline(never)
func wirebankSmallEncodeArena(_ message: WirebankContracts.CommonMoney) throws -> Int {
  try message.withSerializedBytes { $0.count &+ Int($0[0]) }
}

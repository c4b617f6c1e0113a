import Testing
import WirebankRPC

@Suite struct MetadataTests {
  @Test func keepsOrderAndRepeatedKeys() throws {
    var metadata = Metadata()
    try metadata.add("x-a", "1")
    try metadata.add("x-b", "2")
    try metadata.add("x-a", "3")
    #expect(metadata.map(\.key) == ["x-a", "x-b", "x-a"])
    #expect(metadata["x-a"] == .string("1"))
    #expect(metadata.values(forKey: "x-a") == [.string("1"), .string("3")])
    #expect(metadata.count == 3)
  }

  @Test func keysAreLowercasedAndMatchCaseInsensitively() throws {
    var metadata = Metadata()
    try metadata.add("X-Request-ID", "abc")
    #expect(metadata.first?.key == "x-request-id")
    #expect(metadata[string: "x-REQUEST-id"] == "abc")
  }

  @Test func replaceKeepsThePositionOfTheFirstValue() throws {
    var metadata: Metadata = ["x-a": "1", "x-b": "2", "x-a": "3", "x-c": "4"]
    try metadata.replace("x-a", "new")
    #expect(metadata.map(\.key) == ["x-a", "x-b", "x-c"])
    #expect(metadata.values(forKey: "x-a") == [.string("new")])
    try metadata.replace("x-d", "added")
    #expect(metadata.map(\.key) == ["x-a", "x-b", "x-c", "x-d"])
  }

  @Test func removeDropsEveryValue() {
    var metadata: Metadata = ["x-a": "1", "x-b": "2", "x-a": "3"]
    #expect(metadata.remove("X-A") == 2)
    #expect(metadata.remove("x-a") == 0)
    #expect(metadata["x-a"] == nil)
    #expect(metadata.map(\.key) == ["x-b"])
  }

  @Test func binaryValuesNeedBinKeys() throws {
    var metadata = Metadata()
    try metadata.add("trace-bin", bytes: [0, 1, 255])
    #expect(metadata[binary: "trace-bin"] == [0, 1, 255])
    #expect(metadata[string: "trace-bin"] == nil)
    #expect(Metadata.isBinaryKey("Trace-Bin"))
    #expect(throws: MetadataError(code: .valueKindMismatch, key: "trace-bin")) {
      try metadata.add("trace-bin", "text")
    }
    #expect(throws: MetadataError(code: .valueKindMismatch, key: "trace")) {
      try metadata.add("trace", bytes: [1])
    }
  }

  @Test(arguments: ["", "x key", ":path", "x/y", "ключ", "x\u{0}"])
  func invalidKeysAreRefused(key: String) {
    var metadata = Metadata()
    #expect(throws: MetadataError.self) { try metadata.add(key, "v") }
    #expect(metadata.isEmpty)
  }

  @Test(arguments: ["grpc-timeout", "grpc-status", "GRPC-Custom"])
  func reservedKeysAreRefused(key: String) {
    var metadata = Metadata()
    #expect(throws: MetadataError(code: .reservedKey, key: key.lowercased())) {
      try metadata.add(key, "v")
    }
  }

  @Test func statusDetailsAreTheOneReservedKeyApplicationsSet() throws {
    var metadata = Metadata()
    try metadata.add(Metadata.statusDetailsKey, bytes: [0x08, 0x03])
    #expect(metadata.values(forKey: "grpc-status-details-bin") == [.binary([0x08, 0x03])])
  }

  @Test(arguments: ["0-9", "a_b", "a.b", "x-trace-id", "-"])
  func validKeysAreAccepted(key: String) throws {
    try Metadata.validate(key: key)
  }

  @Test(arguments: ["line\nbreak", "tab\there", "caf\u{E9}", "\u{7F}"])
  func textValuesMustBePrintableASCII(value: String) {
    var metadata = Metadata()
    #expect(throws: MetadataError(code: .invalidValue, key: "x-a")) {
      try metadata.add("x-a", value)
    }
  }

  @Test func emptyAndSpacedTextValuesAreAccepted() throws {
    var metadata = Metadata()
    try metadata.add("x-a", "")
    try metadata.add("x-b", " spaced ~ value ")
    #expect(metadata.count == 2)
  }

  @Test func descriptionHidesBinaryBytes() throws {
    var metadata: Metadata = ["x-a": "1"]
    try metadata.add("k-bin", bytes: [0xDE, 0xAD])
    #expect(metadata.description == "[x-a: 1, k-bin: <2 bytes>]")
  }

  @Test func equalityFollowsOrder() {
    let first: Metadata = ["x-a": "1", "x-b": "2"]
    let second: Metadata = ["x-b": "2", "x-a": "1"]
    #expect(first != second)
    #expect(first == ["x-a": "1", "x-b": "2"])
  }

  @Test func appendKeepsBothSides() {
    var metadata: Metadata = ["x-a": "1"]
    metadata.append(contentsOf: ["x-a": "2", "x-b": "3"])
    #expect(metadata.values(forKey: "x-a") == [.string("1"), .string("2")])
    #expect(metadata.count == 3)
  }
}

import Testing

@testable import WirebankCodeGen

/// C names follow protoc-c, Swift names follow swift-protobuf.
@Suite struct NamingTests {
  @Test(arguments: [
    ("MdMapEntry", "md_map_entry"), ("HTTPThing", "httpthing"), ("M1Entry", "m1_entry"),
    ("Outer", "outer"),
  ])
  func protocCLowerNames(camel: String, lower: String) {
    #expect(Naming.camelToLowerSnake(camel) == lower)
  }

  @Test func cTypeAndSymbolNames() {
    #expect(
      Naming.cTypeName(package: "wirebank.product_engine.v1", path: ["HTTPThing", "Kind"])
        == "Wirebank__ProductEngine__V1__HTTPThing__Kind")
    #expect(
      Naming.cLowerName(package: "wirebank.product_engine.v1", path: ["HTTPThing", "MdMapEntry"])
        == "wirebank__product_engine__v1__httpthing__md_map_entry")
  }

  @Test func swiftNames() {
    #expect(Naming.swiftPrefix(package: "grpc.testing", option: nil) == "Grpc_Testing_")
    #expect(Naming.swiftPrefix(package: "wirebank.lending.origination.v1", option: "Origination") == "Origination")
    #expect(Naming.swiftField("response_type") == "responseType")
    #expect(Naming.swiftField("default") == "`default`")
    #expect(Naming.swiftField("self") == "self_p")
    #expect(Naming.swiftField("unknown_fields") == "unknownFields_p")
    #expect(Naming.enumCase("APPLICATION_STATUS_NEW", enumName: "ApplicationStatus") == "new")
    #expect(Naming.enumCase("SERVING", enumName: "ServingStatus") == "serving")
    #expect(Naming.enumCase("LEVEL_2D", enumName: "Level") == "level2d")
    #expect(Naming.cMember("default") == "default_")
  }

  @Test func protobufCRangesHaveTheSentinel() {
    let ranges = CGenerator.ranges([1, 2, 3, 7, 8, 20])
    #expect(ranges.text == "{ 1, 0 }, { 7, 3 }, { 20, 5 }, { 0, 6 }")
    #expect(ranges.count == 3)
  }
}

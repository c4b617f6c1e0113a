import FoundationEssentials
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The plugin's output for the fixture equals the checked-in golden files byte for byte.
///
/// The golden files (Tests/Fixtures/C, Tests/Fixtures/Swift) are also compiled into the
/// FixtureContracts target, so a change to the generator shows up here as a reviewable diff
/// and must still build.
@Suite struct GoldenFileTests {
  static let root: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
    return path
  }()

  static func run(_ command: String) -> (status: Int32, output: String) {
    guard let pipe = popen("\(command) 2>&1", "r") else { return (-1, "popen failed") }
    var output = ""
    var buffer = [CChar](repeating: 0, count: 4096)
    while fgets(&buffer, Int32(buffer.count), pipe) != nil {
      output += String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    let status = pclose(pipe)
    return (status, output)
  }

  @Test func fixtureOutputMatchesGoldenFiles() throws {
    let plugin = "\(Self.root)/.build/debug/protoc-gen-wirebank"
    try #require(access(plugin, X_OK) == 0, "build the plugin first: swift build --build-tests")
    let output = "/tmp/wirebank-golden-\(getpid())"
    defer { _ = Self.run("rm -rf \(output)") }
    let generate = Self.run(
      """
      mkdir -p \(output) && cd \(Self.root)/Tests/Fixtures/Protos && protoc \
      --plugin=protoc-gen-wirebank=\(plugin) -I . -I /usr/include --wirebank_out=\(output) \
      --wirebank_opt=c_module=CFixtureContracts,c_header_dir=C/include,c_source_dir=C,swift_dir=Swift,swift_import=WirebankRPC \
      fixture/v1/fixture.proto
      """)
    #expect(generate.status == 0, "\(generate.output)")
    for folder in ["C", "Swift"] {
      let diff = Self.run("diff -r \(output)/\(folder) \(Self.root)/Tests/Fixtures/\(folder)")
      #expect(diff.status == 0, "golden files differ; run make contracts and review:\n\(diff.output)")
    }
  }

  @Test func unknownPluginOptionIsReportedThroughProtoc() {
    let plugin = "\(Self.root)/.build/debug/protoc-gen-wirebank"
    let result = Self.run(
      """
      cd \(Self.root)/Tests/Fixtures/Protos && protoc --plugin=protoc-gen-wirebank=\(plugin) \
      -I . -I /usr/include --wirebank_out=/tmp --wirebank_opt=no_such_option=1 fixture/v1/fixture.proto
      """)
    #expect(result.status != 0)
    #expect(result.output.contains("unknown option 'no_such_option'"))
  }
}

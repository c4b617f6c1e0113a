// protoc-gen-wirebank: protoc sends a CodeGeneratorRequest on stdin; the generated C tables
// and Swift code go back as a CodeGeneratorResponse on stdout.
import PluginProtos
import WirebankCodeGen

#if canImport(Glibc)
  import Glibc
#endif

func readStandardInput() -> [UInt8] {
  var input: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let count = read(0, &buffer, buffer.count)
    if count <= 0 { break }
    input += buffer[0..<count]
  }
  return input
}

func writeStandardOutput(_ bytes: [UInt8]) {
  var offset = 0
  while offset < bytes.count {
    let written = bytes[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    if written <= 0 { exit(1) }
    offset += written
  }
}

var response = CodeGeneratorResponse()
response.supportedFeatures = 1  // FEATURE_PROTO3_OPTIONAL
do {
  let request = try PluginIO.decodeRequest(readStandardInput())
  let files = request.protoFile.map { ModelBuilder($0).build() }
  let options = try GeneratorOptions(parameter: request.parameter ?? "")
  let generated = try Generator(files: files, options: options).generate(paths: request.fileToGenerate)
  response.file = generated.map {
    var file = CodeGeneratorResponse.File()
    file.name = $0.name
    file.content = $0.content
    return file
  }
} catch {
  response.error = "\(error)"
}
writeStandardOutput(try PluginIO.encodeResponse(response))

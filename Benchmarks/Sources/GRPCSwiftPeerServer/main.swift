// The peer server of the gRPC server benchmark (`grpc-server-bench.sh`): grpc.testing.TestService
// on grpc-swift-2 2.4.3 with grpc-swift-nio-transport 2.9.2 (HTTP/2, NIO Posix, plaintext) and
// grpc-swift-protobuf 2.4.1, default configuration. The generated code in Generated/ comes from the
// same Protos/grpc/testing/*.proto as Wirebank's interop server (`regenerate-grpc-peer.sh`).
//
//   GRPCSwiftPeerServer [--host 127.0.0.1] [--port 0]
//
// Prints "GRPCSwiftPeerServer listening on port N" once bound, then serves until killed.

import GRPCCore
import GRPCNIOTransportHTTP2

#if canImport(Glibc)
  import Glibc
#endif

var host = "127.0.0.1"
var port = 0
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  switch argument {
  case "--host":
    host = arguments.popFirst() ?? host
  case "--port":
    guard let value = arguments.popFirst().flatMap(Int.init) else {
      fatalError("--port needs a number")
    }
    port = value
  case "-h", "--help":
    print("usage: GRPCSwiftPeerServer [--host ADDRESS] [--port N (0: a free one)]")
    exit(0)
  default:
    fatalError("unknown argument \(argument)")
  }
}

let transport = HTTP2ServerTransport.Posix(
  address: .ipv4(host: host, port: port),
  transportSecurity: .plaintext)
try await withGRPCServer(transport: transport, services: [PeerTestService()]) { server in
  let address = try await transport.listeningAddress
  let bound = address.ipv4?.port ?? address.ipv6?.port ?? port
  print("GRPCSwiftPeerServer listening on port \(bound)")
  fflush(nil)  // all C streams: stdout is a pipe when the benchmark starts it
  // Serve until the process is killed; `withGRPCServer` shuts down when this closure returns.
  while true { try await Task.sleep(for: .seconds(3600)) }
}

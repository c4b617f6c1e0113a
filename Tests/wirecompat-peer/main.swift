// The Swift side of the wire-compatibility suite (Tests/wirecompat): reads one request a line
// from stdin and answers one line each on stdout. The protocol lives in WireCompatSupport.
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
import WireCompatSupport

var peer = WireCompatPeer()
peer.run(
  readLine: { readLine(strippingNewline: true) },
  writeLine: { answer in
    print(answer)
    fflush(nil)  // every open output stream: here only stdout
  })

#!/usr/bin/env bash
# Regenerates the code of the grpc-swift-2 peer server (GRPCSwiftPeerServer, the "peer" side of
# the gRPC server benchmark) into Sources/GRPCSwiftPeerServer/Generated: swift-protobuf messages
# and grpc-swift-2 service stubs for Protos/grpc/testing/{empty,messages,test}.proto, the same
# files that Wirebank's interop server is generated from. The output is checked in; run this only
# when those .proto files or the pinned versions change.
#
# The plugins must match the versions pinned in Package.swift. Unless PROTOC_GEN_SWIFT and
# PROTOC_GEN_GRPC_SWIFT name built plugins, they are built once from local clones (~2–10 minutes
# each):
#   protoc-gen-swift 1.39.0          from /tmp/swift-protobuf       (see regenerate-peer.sh)
#   protoc-gen-grpc-swift-2 2.4.1    from /tmp/grpc-swift-protobuf:
#     git clone https://github.com/grpc/grpc-swift-protobuf /tmp/grpc-swift-protobuf
#     git -C /tmp/grpc-swift-protobuf checkout 2.4.1
#     (cd /tmp/grpc-swift-protobuf && swift build -c release --product protoc-gen-grpc-swift-2)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
protos="$here/../Protos"
out="$here/Sources/GRPCSwiftPeerServer/Generated"

swift_protobuf_version=1.39.0
swift_protobuf_checkout="${SWIFT_PROTOBUF_CHECKOUT:-/tmp/swift-protobuf}"
plugin_swift="${PROTOC_GEN_SWIFT:-$swift_protobuf_checkout/.build/release/protoc-gen-swift}"

grpc_protobuf_version=2.4.1
grpc_protobuf_checkout="${GRPC_SWIFT_PROTOBUF_CHECKOUT:-/tmp/grpc-swift-protobuf}"
plugin_grpc="${PROTOC_GEN_GRPC_SWIFT:-$grpc_protobuf_checkout/.build/release/protoc-gen-grpc-swift-2}"

build_plugin() {  # url checkout version product
  local url=$1 checkout=$2 version=$3 product=$4
  if [[ ! -d "$checkout" ]]; then
    git clone --quiet "$url" "$checkout"
  fi
  git -C "$checkout" checkout --quiet "$version"
  (cd "$checkout" && swift build -c release --product "$product")
}

if [[ ! -x "$plugin_swift" ]]; then
  build_plugin https://github.com/apple/swift-protobuf "$swift_protobuf_checkout" \
    "$swift_protobuf_version" protoc-gen-swift
fi
if [[ ! -x "$plugin_grpc" ]]; then
  build_plugin https://github.com/grpc/grpc-swift-protobuf "$grpc_protobuf_checkout" \
    "$grpc_protobuf_version" protoc-gen-grpc-swift-2
fi
if ! "$plugin_swift" --version | grep -q "$swift_protobuf_version"; then
  echo "error: $plugin_swift is not protoc-gen-swift $swift_protobuf_version" >&2
  exit 1
fi
# protoc-gen-grpc-swift-2 prints its version as "protoc-gen-grpc-swift-2 2.4.1" (or similar).
if ! "$plugin_grpc" --version 2>&1 | grep -q "$grpc_protobuf_version"; then
  echo "error: $plugin_grpc is not protoc-gen-grpc-swift-2 $grpc_protobuf_version" >&2
  exit 1
fi

files=(
  grpc/testing/empty.proto
  grpc/testing/messages.proto
  grpc/testing/test.proto
)

rm -rf "$out"
mkdir -p "$out"
(cd "$protos" && protoc \
  -I "$protos" \
  --plugin=protoc-gen-swift="$plugin_swift" \
  --swift_out="$out" \
  --swift_opt=Visibility=Internal \
  --swift_opt=FileNaming=PathToUnderscores \
  --plugin=protoc-gen-grpc-swift-2="$plugin_grpc" \
  --grpc-swift-2_out="$out" \
  --grpc-swift-2_opt=Visibility=Internal \
  --grpc-swift-2_opt=FileNaming=PathToUnderscores \
  --grpc-swift-2_opt=Server=true \
  --grpc-swift-2_opt=Client=false \
  "${files[@]}")
echo "regenerated $(ls "$out" | wc -l) files in ${out#"$here"/}"

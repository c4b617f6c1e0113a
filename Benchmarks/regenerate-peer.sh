#!/usr/bin/env bash
# Regenerates swift-protobuf's code for the benchmarked .proto files (the "peer" side of the
# codec benchmarks) into Sources/CodecBenchmarks/SwiftProtobufGenerated. The output is checked in;
# run this only when the .proto files or the swift-protobuf version change.
#
# protoc-gen-swift must match the SwiftProtobuf version pinned in Package.swift (1.39.0). Unless
# PROTOC_GEN_SWIFT names a built plugin, it is built once from a local clone (~1–10 minutes):
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   git -C /tmp/swift-protobuf checkout 1.39.0
#   (cd /tmp/swift-protobuf && swift build -c release --product protoc-gen-swift)
#
# google/protobuf/timestamp.proto is only an import path (/usr/include, from protobuf-compiler):
# SwiftProtobuf ships Google_Protobuf_Timestamp itself, so it is not generated.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
protos="$here/../Protos"
out="$here/Sources/CodecBenchmarks/SwiftProtobufGenerated"
version=1.39.0
checkout="${SWIFT_PROTOBUF_CHECKOUT:-/tmp/swift-protobuf}"
plugin="${PROTOC_GEN_SWIFT:-$checkout/.build/release/protoc-gen-swift}"
wkt_include="${PROTOBUF_INCLUDE:-/usr/include}"

if [[ ! -x "$plugin" ]]; then
  if [[ ! -d "$checkout" ]]; then
    git clone --quiet https://github.com/apple/swift-protobuf "$checkout"
  fi
  git -C "$checkout" checkout --quiet "$version"
  (cd "$checkout" && swift build -c release --product protoc-gen-swift)
fi
if ! "$plugin" --version | grep -q "$version"; then
  echo "error: $plugin is not protoc-gen-swift $version" >&2
  exit 1
fi

# The benchmarked messages and everything they import (google/protobuf/* excepted).
files=(
  wirebank/common/v1/money.proto
  wirebank/common/v1/date.proto
  wirebank/lending/common/v1/applicant.proto
  wirebank/lending/scoring/v1/scoring.proto
  wirebank/common/v1/paging.proto
  wirebank/lending/origination/v1/origination.proto
  grpc/testing/messages.proto
)

rm -rf "$out"
mkdir -p "$out"
(cd "$protos" && protoc \
  -I "$protos" -I "$wkt_include" \
  --plugin=protoc-gen-swift="$plugin" \
  --swift_out="$out" \
  --swift_opt=Visibility=Internal \
  --swift_opt=FileNaming=PathToUnderscores \
  "${files[@]}")
echo "regenerated $(ls "$out" | wc -l) files in ${out#"$here"/}"

#!/usr/bin/env bash
# Regenerates Tools/PluginProtos (the plugin's own request/response codecs) with the plugin.
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${PLUGIN:-.build/debug/protoc-gen-wirebank}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc --plugin=protoc-gen-wirebank="$plugin" -I Tools/PluginProtos/Protos \
  --wirebank_out="$out" \
  --wirebank_opt=c_module=CPluginProtos,c_header_dir=C/include,c_source_dir=C,swift_dir=Swift,services=false \
  Tools/PluginProtos/Protos/plugin.proto
rm -rf Tools/PluginProtos/C Tools/PluginProtos/Swift
cp -r "$out"/C "$out"/Swift Tools/PluginProtos/

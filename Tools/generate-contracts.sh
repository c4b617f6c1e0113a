#!/usr/bin/env bash
# Regenerates every generated file: the contracts from Protos/ (C tables into
# Sources/CWirebankContracts, Swift into Sources/WirebankContracts) and the plugin's own codecs.
# Never edit those files by hand: change the .proto or the generator and run `make contracts`.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product protoc-gen-wirebank >/dev/null
plugin=.build/debug/protoc-gen-wirebank
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protos=$(cd Protos && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
(cd Protos && protoc --plugin=protoc-gen-wirebank="../$plugin" -I . -I /usr/include \
  --wirebank_out="$out" \
  --wirebank_opt=c_module=CWirebankContracts,c_header_dir=C/include,c_source_dir=C,swift_dir=Swift,swift_import=WirebankRPC \
  google/protobuf/timestamp.proto $protos)
rm -rf Sources/CWirebankContracts Sources/WirebankContracts
mkdir -p Sources/CWirebankContracts Sources/WirebankContracts
cp -r "$out"/C/. Sources/CWirebankContracts/
cp -r "$out"/Swift/. Sources/WirebankContracts/
# The generator's golden files: a fixture that uses every construct, compiled by FixtureContracts.
fixture=$(mktemp -d)
(cd Tests/Fixtures/Protos && protoc --plugin=protoc-gen-wirebank="../../../$plugin" -I . -I /usr/include \
  --wirebank_out="$fixture" \
  --wirebank_opt=c_module=CFixtureContracts,c_header_dir=C/include,c_source_dir=C,swift_dir=Swift,swift_import=WirebankRPC \
  fixture/v1/fixture.proto)
rm -rf Tests/Fixtures/C Tests/Fixtures/Swift
cp -r "$fixture"/C "$fixture"/Swift Tests/Fixtures/
rm -rf "$fixture"
PLUGIN=$plugin Tools/regenerate-plugin-protos.sh

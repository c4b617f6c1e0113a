#!/usr/bin/env bash
# Fails when the checked-in generated code differs from what the generator produces now.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/generate-contracts.sh
if ! git diff --exit-code --stat -- Sources/CWirebankContracts Sources/WirebankContracts Tools/PluginProtos Tests/Fixtures \
  || [ -n "$(git status --porcelain -- Sources/CWirebankContracts Sources/WirebankContracts Tools/PluginProtos Tests/Fixtures)" ]; then
  echo "Generated contracts are stale or edited by hand: run 'make contracts' and commit the result." >&2
  exit 1
fi
echo "Generated contracts are current."

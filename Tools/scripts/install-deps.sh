#!/usr/bin/env bash
# Installs what Wirebank needs on Debian 12 beyond Swift: C libraries, protoc, PostgreSQL,
# nghttp2's tools and a Python venv with the wire-compat peers. Idempotent and quiet when
# everything is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

packages=(pkg-config libprotobuf-c-dev libnghttp2-dev libpq-dev zlib1g-dev protobuf-compiler protobuf-c-compiler
  postgresql nghttp2-client python3-venv)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

requirements=Tests/wirecompat/requirements.txt
stamp=.venv/.requirements.sha256
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "Setting up the Python venv for the wire-compat peers (.venv)"
  # Debian's python3-venv, not whatever python3 comes first on PATH.
  python=/usr/bin/python3
  [ -x "$python" ] || python=python3
  "$python" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r "$requirements"
  echo "$wanted" > "$stamp"
fi

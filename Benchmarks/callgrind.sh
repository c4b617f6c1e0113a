#!/usr/bin/env bash
# Instruction counts of one benchmark operation under valgrind's callgrind.
#
#   ./callgrind.sh realistic-encode                 Wirebank, 10000 iterations, top 30 functions
#   ./callgrind.sh realistic-decode swift-protobuf 10000 40
#   NO_BUILD=1 ./callgrind.sh realistic-decode         profile the binary as built, no rebuild
#
# Only the operation's own function (e.g. wirebankRealisticEncode) is collected
# (--toggle-collect), so set-up and the 1 MiB sample construction do not count. Prints the
# functions by self cost and by inclusive cost, in instructions per operation, demangled.
# The raw profile stays in .build/callgrind/ for callgrind_annotate / kcachegrind.
#
# valgrind 3.19 (Debian 12) cannot read the DWARF 5 that Swift 6.3 emits ("unhandled dwarf2 abbrev
# form code 0x25", then it gives up), so the profile runs on a copy with the debug info stripped:
# function names come from the symbol table, there are no source lines.
set -euo pipefail

operation="${1:?usage: callgrind.sh OPERATION [wirebank|swift-protobuf] [ITERATIONS] [TOP]}"
side="${2:-wirebank}"
iterations="${3:-10000}"
top="${4:-30}"

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
command -v valgrind > /dev/null || { echo "valgrind missing: apt-get install -y valgrind" >&2; exit 1; }

# NO_BUILD=1 profiles the binary already built (when the main package is mid-edit, say).
if [[ -z "${NO_BUILD:-}" ]]; then
  swift build -c release --product CodecBenchmarks > /dev/null
fi
out="$here/.build/callgrind"
mkdir -p "$out"
binary="$out/CodecBenchmarks"
cp "$(swift build -c release --show-bin-path)/CodecBenchmarks" "$binary"
strip --strip-debug "$binary"

# realistic-encode + wirebank -> wirebankRealisticEncode
function_name="$(echo "$operation" | sed -E 's/(^|-)([a-z])/\U\2/g')"
prefix="$([[ "$side" == wirebank ]] && echo wirebank || echo swiftProtobuf)"
case "$operation" in
  memcpy) pattern="*baselineMemcpy*" ;;
  fresh-copy) pattern="*baselineFreshCopy*" ;;
  *) pattern="*${prefix}${function_name}*" ;;
esac
profile="$out/$side-$operation.out"

valgrind --tool=callgrind --callgrind-out-file="$profile" --toggle-collect="$pattern" \
  "$binary" --only "$operation" --iterations "$iterations" --side "$side" 2>&1 \
  | grep -E "^ran |Collected" || true

report() {
  callgrind_annotate --inclusive="$1" "$profile" 2>/dev/null \
    | awk '/^-+$/ { rule++ } rule >= 4 && /^ *[0-9,]+ \(/' | head -n "$top" \
    | swift demangle --simplified \
    | ITERATIONS="$iterations" python3 -c '
import os, re, sys
iterations = int(os.environ["ITERATIONS"])
for line in sys.stdin:
    match = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*)", line)
    if not match:
        continue
    count = int(match.group(1).replace(",", "")) / iterations
    name = re.sub(r"^(\?\?\?|\./[^:]*|[^ :]*\.[chS]):", "", match.group(3))
    if re.match(r"(\(below main\)|__libc_start_main|CodecBenchmarks_main|0x0+1ab70 )", name):
        continue  # process start-up frames around the collected function
    name = re.sub(r" \[(.*/)?([^/\]]+)\]$", r"  [\2]", name)
    print(f"{count:9.0f} {match.group(2):>6}%  {name[:160]}")
'
}
echo
echo "== $side $operation: self cost, instructions per operation =="
report no
echo
echo "== $side $operation: inclusive cost, instructions per operation =="
report yes

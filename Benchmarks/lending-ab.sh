#!/usr/bin/env bash
# Compares two wirebank builds on the Lending pipeline on a machine whose speed drifts: runs
# `lending-bench.sh` rows of build A and build B alternately (A B, then B A, ...), and prints each
# pair's machine CPU per application, the ratio B/A of each pair, and the median ratio. A drift
# of the host during one pair moves both of its rows; the median over pairs is what to quote.
#
#   Benchmarks/lending-ab.sh /tmp/wirebank-before /tmp/wirebank-after
#   PAIRS=8 RATE=120 DURATION=20 Benchmarks/lending-ab.sh A B
#
# Environment: PAIRS (default 6), RATE (offered applications/s, default 120: below the ceiling
# even when the host is slow, so that no row falls behind), DURATION (seconds per row, default
# 20), and what lending-bench.sh reads (SETTINGS, UP_ARGS, WARMUP).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
[[ $# -eq 2 ]] || { echo "usage: $0 BINARY_A BINARY_B" >&2; exit 2; }
a="$1"
b="$2"
PAIRS="${PAIRS:-6}"
RATE="${RATE:-120}"
DURATION="${DURATION:-20}"

# Machine CPU per application (ms) and p50 of one row of `binary`.
row() {
  local out
  out=$(BIN="$1" NO_BUILD=1 RATES="$RATE" DURATION="$DURATION" "$here/lending-bench.sh" 2>&1)
  local cpu p50 steal
  cpu=$(sed -n 's/^machine CPU per application: \([0-9.]*\) ms.*/\1/p' <<<"$out")
  steal=$(sed -n 's/.*stolen by the VM host \([0-9]*\)%.*/\1/p' <<<"$out")
  p50=$(awk '/submit → agreement p50/ { print $5 $6 }' <<<"$out")
  [[ -n "$cpu" ]] || { echo "$out" >&2; echo "error: no figure from $1" >&2; exit 1; }
  echo "$cpu $p50 $steal"
}

echo "A: $a"
echo "B: $b"
echo "$PAIRS pairs of $DURATION s rows at $RATE applications/s, alternating which goes first"
printf '%-5s %12s %12s %8s %10s %10s %6s\n' pair "A ms/app" "B ms/app" "B/A" "A p50" "B p50" steal
ratios=()
for pair in $(seq 1 "$PAIRS"); do
  if ((pair % 2)); then
    read -r ca pa sa < <(row "$a")
    read -r cb pb sb < <(row "$b")
  else
    read -r cb pb sb < <(row "$b")
    read -r ca pa sa < <(row "$a")
  fi
  ratio=$(awk -v x="$ca" -v y="$cb" 'BEGIN { printf "%.3f", y / x }')
  ratios+=("$ratio")
  printf '%-5s %12s %12s %8s %10s %10s %6s\n' "$pair" "$ca" "$cb" "$ratio" "$pa" "$pb" \
    "$((sa > sb ? sa : sb))%"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END {
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "median B/A of machine CPU per application: $median (below 1: B costs less)"

#!/usr/bin/env bash
# SQL statements per application through the Lending pipeline: runs `wirebank up` on an
# embedded PostgreSQL with pg_stat_statements loaded, sends a fixed number of applications at a
# modest rate with `wirebank lending load`, and prints, per service database, the statements that
# ran (calls per application, mean execution time, buffer blocks per call) and the totals. Unlike
# lending-bench.sh the counts barely depend on the machine's load, so they show the effect of a
# change on a busy box.
#
#   ./lending-statements.sh                 # build wirebank (release) and count
#   NO_BUILD=1 RATE=50 DURATION=10 ./lending-statements.sh
#
# Environment: RATE (default 50/s), DURATION (default 10 s), SCRATCH (default .build-release),
# BIN (the wirebank binary to run, default SCRATCH's release build; with NO_BUILD=1),
# UP_ARGS (more options for `wirebank up`),
# WORKDIR (default a fresh /tmp directory, removed), TOP (statements listed per database, 25).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
RATE="${RATE:-50}"
DURATION="${DURATION:-10}"
SCRATCH="${SCRATCH:-.build-release}"
TOP="${TOP:-25}"
WORKDIR="${WORKDIR:-$(mktemp -d /tmp/lending-statements.XXXXXX)}"
mkdir -p "$WORKDIR" && chmod 755 "$WORKDIR"
bin="${BIN:-$root/$SCRATCH/release/wirebank}"
state="$WORKDIR/state"

log() { printf '%s\n' "$*" >&2; }

if [[ -z "${NO_BUILD:-}" ]]; then
  log "building wirebank (release, $root/$SCRATCH) ..."
  (cd "$root" && swift build -c release --product wirebank --scratch-path "$SCRATCH") >&2
fi
[[ -x "$bin" ]] || { log "error: $bin not found (build it, or unset NO_BUILD)"; exit 1; }

up_pid=""
cleanup() {
  if [[ -n "$up_pid" ]] && kill -0 "$up_pid" 2>/dev/null; then
    kill -TERM "$up_pid" 2>/dev/null || true
    wait "$up_pid" 2>/dev/null || true
  fi
  "$bin" postgres stop --state-dir "$state" >/dev/null 2>&1 || true
  rm -rf "$WORKDIR"
}
trap cleanup EXIT

# Create the cluster once, then load pg_stat_statements into it.
"$bin" postgres start --state-dir "$state" >/dev/null
"$bin" postgres stop --state-dir "$state" >/dev/null
printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n" \
  >> "$state/data/postgresql.conf"
"$bin" postgres start --state-dir "$state" >/dev/null

WIREBANK_LOG_LEVEL=warning "$bin" up --base-port 0 --state-dir "$state" ${UP_ARGS:-} \
  > "$WORKDIR/up.out" 2> "$WORKDIR/up.err" &
up_pid=$!
for _ in $(seq 1 600); do
  grep -q '^data:' "$WORKDIR/up.out" 2>/dev/null && break
  kill -0 "$up_pid" 2>/dev/null || { cat "$WORKDIR/up.err" >&2; exit 1; }
  sleep 0.1
done
origination=$(sed -n 's/^origination listening on //p' "$WORKDIR/up.out")
engine=$(sed -n 's/^product-engine listening on //p' "$WORKDIR/up.out")
socket="$state/run"
databases="origination scoring product_engine"
sql() { psql -X -q -h "$socket" -U wirebank -d "lending_$1" -Atc "$2"; }
for db in $databases; do
  sql "$db" "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
  sql "$db" "SELECT pg_stat_statements_reset()" >/dev/null
done
sql origination "SELECT pg_stat_reset_shared('wal')" >/dev/null

"$bin" lending load --origination "$origination" --product-engine "$engine" \
  --rate "$RATE" --duration "$DURATION" --warmup 0 > "$WORKDIR/load.out"
applications=$((RATE * DURATION))
grep -E '^(applications:|measured:)' "$WORKDIR/load.out" || true

total=0
for db in $databases; do
  echo
  # Blocks: shared buffers each call touched, the figure that shows a scan that reads too much
  # whatever the machine's speed.
  echo "== lending_$db: statements per application (of $applications), mean ms and blocks per call"
  sql "$db" "
    SELECT to_char(calls::float8 / $applications, '990.00') || '  ' ||
           to_char(mean_exec_time, '0.000') || '  ' ||
           to_char((shared_blks_hit + shared_blks_read)::float8 / greatest(calls, 1), '99990') ||
           '  ' ||
           left(regexp_replace(query, '\s+', ' ', 'g'), 100)
    FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND query NOT LIKE '%pg_stat_statements%'
    ORDER BY calls DESC LIMIT $TOP"
  # Top-level statements only: the foreign-key checks that triggers run are not sent by us.
  calls=$(sql "$db" "
    SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
    WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND toplevel AND query NOT LIKE '%pg_stat_statements%'")
  echo "top-level statements per application: $(awk -v c="$calls" -v a="$applications" 'BEGIN { printf "%.1f", c / a }')"
  total=$((total + calls))
done
echo
echo "all three services: $(awk -v c="$total" -v a="$applications" 'BEGIN { printf "%.1f", c / a }') statements per application"
# The cluster's write-ahead log (all three databases): what each application costs the disk.
sql origination "
  SELECT 'WAL per application: ' || round(wal_records::numeric / $applications, 1) || ' records, '
         || round(wal_fpi::numeric / $applications, 1) || ' full-page images, '
         || pg_size_pretty(wal_bytes / $applications) || ', '
         || round(wal_sync::numeric / $applications, 1) || ' flushes'
  FROM pg_stat_wal"

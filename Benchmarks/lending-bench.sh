#!/usr/bin/env bash
# Lending pipeline benchmark (issue 5): applications/s through Origination → Scoring → Product
# Engine and submit → agreement latency, over real HTTP/2 on an embedded PostgreSQL with its
# default, durable settings (fsync on). `wirebank up` runs the three services (one process, each
# service on its own port and database, calling the others over HTTP/2); `wirebank lending load`
# is the client, in a process of its own.
#
#   ./lending-bench.sh                  # build wirebank (release), run the default rows
#   NO_BUILD=1 ./lending-bench.sh       # use the binary already built
#   RATES="200 300" DURATION=30 ./lending-bench.sh
#
# Environment:
#   RATES        offered applications/s, one row each, default "200 225 250"
#   DURATION     seconds of submissions per row, default 20 (the first WARMUP not measured)
#   WARMUP       seconds at the start of each row that are not measured, default 3
#   SCRATCH      the build folder of the main package, default .build-release
#   SETTINGS     "durable" (PostgreSQL defaults, the default) or "disposable" (fsync off)
#   UP_ARGS      more options for `wirebank up`, e.g. "--claim-spacing 0"
#   BIN          the wirebank binary to run (default: SCRATCH's release build); with NO_BUILD=1,
#                alternate two builds' rows to compare them on a machine whose speed drifts
#   WORKDIR      where the cluster and logs go, default a fresh /tmp directory (removed)
#   CPU_CAP      run the rows (PostgreSQL, the services and the client) in a cgroup allowed
#                this many CPUs, e.g. 1.3: a slower machine on purpose, like the host's slow
#                phases (needs root and the cgroup cpu controller, v1 or v2)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
RATES="${RATES:-200 225 250}"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-3}"
SCRATCH="${SCRATCH:-.build-release}"
SETTINGS="${SETTINGS:-durable}"
WORKDIR="${WORKDIR:-$(mktemp -d /tmp/lending-bench.XXXXXX)}"
mkdir -p "$WORKDIR" && chmod 755 "$WORKDIR"  # as root, PostgreSQL runs as postgres
bin="${BIN:-$root/$SCRATCH/release/wirebank}"

log() { printf '%s\n' "$*" >&2; }

# Busy, total and stolen jiffies of all CPUs, from /proc/stat (steal: time the VM's host ran
# something else while this machine wanted to run).
cpu_jiffies() {
  awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8; print busy, busy + $5 + $6 + $9, $9; exit }' \
    /proc/stat
}

# Moves this shell, and so everything it starts afterwards, into a cgroup capped at $1 CPUs,
# throttled over 10 ms periods (fine-grained, as a host taking CPU away is).
cap_cpu() {
  local quota group
  quota=$(awk -v c="$1" 'BEGIN { q = int(c * 10000); if (q < 1000) exit 1; print q }') ||
    { log "error: CPU_CAP=$1 is not a number of CPUs (at least 0.1)"; exit 1; }
  if [[ -d /sys/fs/cgroup/cpu && -w /sys/fs/cgroup/cpu ]]; then
    group=/sys/fs/cgroup/cpu/lending-bench
    mkdir -p "$group" && echo 10000 > "$group/cpu.cfs_period_us" &&
      echo "$quota" > "$group/cpu.cfs_quota_us" && echo $$ > "$group/tasks"
  elif grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
    group=/sys/fs/cgroup/lending-bench
    mkdir -p "$group" && echo "$quota 10000" > "$group/cpu.max" &&
      echo $$ > "$group/cgroup.procs"
  else
    false
  fi || { log "error: CPU_CAP needs root and the cgroup cpu controller"; exit 1; }
}

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
  if [[ "$SETTINGS" == disposable ]]; then "$bin" postgres stop --state-dir "$WORKDIR/state" >/dev/null 2>&1 || true; fi
  [[ -n "${KEEP:-}" ]] || rm -rf "$WORKDIR"
}
trap cleanup EXIT

echo "Lending pipeline benchmark: wirebank up (3 services, HTTP/2 between them) + wirebank lending load"
echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL settings: $SETTINGS"
if [[ -n "${CPU_CAP:-}" ]]; then
  cap_cpu "$CPU_CAP"
  echo "capped at $CPU_CAP CPUs (a cgroup, 10 ms periods)"
fi

row=0
for rate in $RATES; do
  # Rows of the same rate get clusters of their own too.
  row=$((row + 1))
  state="$WORKDIR/state-$row"
  if [[ "$SETTINGS" == disposable ]]; then
    "$bin" postgres start --state-dir "$state" --disposable >/dev/null
  fi
  WIREBANK_LOG_LEVEL=warning "$bin" up --base-port 0 --state-dir "$state" ${UP_ARGS:-} \
    > "$WORKDIR/up-$row.out" 2> "$WORKDIR/up-$row.err" &
  up_pid=$!
  for _ in $(seq 1 600); do
    grep -q '^data:' "$WORKDIR/up-$row.out" 2>/dev/null && break
    kill -0 "$up_pid" 2>/dev/null || { cat "$WORKDIR/up-$row.err" >&2; exit 1; }
    sleep 0.1
  done
  origination=$(sed -n 's/^origination listening on //p' "$WORKDIR/up-$row.out")
  engine=$(sed -n 's/^product-engine listening on //p' "$WORKDIR/up-$row.out")
  echo
  echo "== offered $rate applications/s for $DURATION s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  read -r busy_before total_before steal_before < <(cpu_jiffies)
  "$bin" lending load --origination "$origination" --product-engine "$engine" \
    --rate "$rate" --duration "$DURATION" --warmup "$WARMUP"
  read -r busy_after total_after steal_after < <(cpu_jiffies)
  # Machine-wide, so it counts PostgreSQL, the services and the client: the CPU an application
  # costs. On a shared VM it moves from run to run; compare builds by alternating them.
  awk -v b=$((busy_after - busy_before)) -v t=$((total_after - total_before)) \
    -v s=$((steal_after - steal_before)) \
    -v hz="$(getconf CLK_TCK)" -v n=$((rate * DURATION)) -v cores="$(nproc)" 'BEGIN {
      printf "machine CPU per application: %.2f ms (busy %.0f%% of %d cores during the row, " \
        "stolen by the VM host %.0f%%)\n", b / hz * 1000 / n, 100 * b / t, cores, 100 * s / t }'
  kill -TERM "$up_pid"
  wait "$up_pid" || true
  up_pid=""
  if [[ "$SETTINGS" == disposable ]]; then "$bin" postgres stop --state-dir "$state" >/dev/null; fi
  warnings=$(grep -c -E ' (warning|error|critical) ' "$WORKDIR/up-$row.err" || true)
  echo "services' warnings and errors during the row: $warnings"
done

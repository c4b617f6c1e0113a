#!/usr/bin/env bash
# Where the time goes in Wirebank's gRPC server (`wirebank interop-server`), under a fixed h2load
# run at -c10 -m10 by default. Two modes:
#
#   ./grpc-server-profile.sh [unary|stream]           # perf record (cpu-clock, call graphs):
#                                                     # top self and inclusive entries
#   ./grpc-server-profile.sh counts [unary|stream]    # calls per RPC of malloc, free,
#                                                     # swift_allocObject, swift_retain/release,
#                                                     # swift_task_create/switch (perf uprobes)
#   SERVER=peer ./grpc-server-profile.sh counts unary # the same for GRPCSwiftPeerServer
#
#   unary:  UnaryCall 100 B / 100 B, CALLS=500000 by default (counts: 20000)
#   stream: StreamingOutputCall 64 × 16 KiB, CALLS=4000 by default (counts: 500)
#   CLIENTS=1 STREAMS=1 ...        h2load -c / -m (default 10 / 10)
#   CALL_GRAPH=dwarf ...           if frame-pointer call chains look broken (libc has no frame
#                                  pointers, so callers of malloc/memmove need dwarf)
#   NO_BUILD=1 ...                 use the binaries already built
#
# Hardware counters do not work in this VM (`perf stat -e instructions true`: "not supported"),
# so sampling uses the cpu-clock software event. valgrind 3.19's callgrind crashes when the
# server starts its threads, so it is not an option for the server. perf is Debian's linux-perf.
#
# counts: uprobes count each call of those functions in the server process. The count for a run
# of N calls minus the count for a run of N/2 calls, divided by N/2, is the cost of one RPC with
# start-up and warm-up taken out. The script adds the uprobes it needs and removes them at exit.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
mode=profile
if [[ "${1:-}" == counts ]]; then mode=counts; shift; fi
workload="${1:-unary}"
SERVER="${SERVER:-ours}"
CLIENTS="${CLIENTS:-10}"
STREAMS="${STREAMS:-10}"
CALL_GRAPH="${CALL_GRAPH:-fp}"
TOP="${TOP:-45}"
case $workload in
  unary) path=UnaryCall
    CALLS="${CALLS:-$([[ $mode == counts ]] && echo 20000 || echo 500000)}" ;;
  stream) path=StreamingOutputCall
    CALLS="${CALLS:-$([[ $mode == counts ]] && echo 500 || echo 4000)}" ;;
  *) echo "usage: $0 [counts] [unary|stream]" >&2; exit 2 ;;
esac
WORKDIR="${WORKDIR:-$(mktemp -d /tmp/grpc-server-profile.XXXXXX)}"
mkdir -p "$WORKDIR"

command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null
command -v h2load >/dev/null || apt-get install -y nghttp2-client >/dev/null
case $SERVER in
  ours)
    bin="$root/.build-release/release/wirebank"
    server_cmd=("$bin" interop-server --host 127.0.0.1 --port 0)
    [[ -n "${NO_BUILD:-}" ]] ||
      (cd "$root" && swift build -c release --product wirebank --scratch-path .build-release) >&2 ;;
  peer)
    bin="$here/.build/release/GRPCSwiftPeerServer"
    server_cmd=("$bin" --host 127.0.0.1 --port 0)
    [[ -n "${NO_BUILD:-}" ]] ||
      (cd "$here" && swift build -c release --product GRPCSwiftPeerServer) >&2 ;;
  *) echo "SERVER must be ours or peer" >&2; exit 2 ;;
esac

python3 - "$WORKDIR" <<'EOF'
import struct, sys
work = sys.argv[1]
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F; n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n: return bytes(out)
ld = lambda f, d: varint(f << 3 | 2) + varint(len(d)) + d
vi = lambda f, n: varint(f << 3) + varint(n)
frame = lambda m: b"\x00" + struct.pack(">I", len(m)) + m
open(f"{work}/unary.req", "wb").write(frame(vi(2, 100) + ld(3, ld(2, bytes(100)))))
open(f"{work}/stream.req", "wb").write(frame(b"".join(ld(2, vi(1, 16384)) for _ in range(64))))
EOF

load() {  # calls [h2load options...]
  local n=$1; shift
  h2load -n "$n" -c "$CLIENTS" -m "$STREAMS" -d "$WORKDIR/$workload.req" \
    -H 'content-type: application/grpc' -H 'te: trailers' "$@" \
    "http://127.0.0.1:$port/grpc.testing.TestService/$path"
}
wait_port() {  # log file
  port=
  for _ in $(seq 150); do
    port=$(grep -Eo 'listening on port [0-9]+' "$1" | grep -Eo '[0-9]+$' || true)
    [[ -n "$port" ]] && return 0
    sleep 0.1
  done
  cat "$1" >&2; return 1
}

# --- counts --------------------------------------------------------------------------------------
if [[ $mode == counts ]]; then
  swiftlib=$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/linux
  libc=$(ldconfig -p | awk '/libc.so.6 .*x86-64/ { print $NF; exit }')
  probes=("$libc malloc" "$libc free"
    "$swiftlib/libswiftCore.so swift_allocObject" "$swiftlib/libswiftCore.so swift_retain"
    "$swiftlib/libswiftCore.so swift_release"
    "$swiftlib/libswift_Concurrency.so swift_task_create"
    "$swiftlib/libswift_Concurrency.so swift_task_switch")
  events=() added=()
  for p in "${probes[@]}"; do
    read -r lib fn <<<"$p"
    group="probe_$(basename "$lib" | sed -E 's/\.so.*//; s/[^A-Za-z0-9_]/_/g')"
    if ! perf probe -l 2>/dev/null | grep -q "^ *$group:$fn "; then
      perf probe -q -x "$lib" --add "$fn" && added+=("$group:$fn")
    fi
    events+=("$group:$fn")
  done
  trap 'for e in "${added[@]}"; do perf probe -q -d "$e" || true; done' EXIT
  run_counted() {  # calls → $WORKDIR/stat.<calls>
    local n=$1 log="$WORKDIR/server.$1.log"
    perf stat -x, -o "$WORKDIR/stat.$n" -e "$(IFS=,; echo "${events[*]}")" -- "${server_cmd[@]}" \
      >"$log" 2>&1 &
    local perf_pid=$!
    wait_port "$log"
    load "$n" | grep -E '^requests:' >&2
    kill -TERM "$(pgrep -P "$perf_pid")"
    wait "$perf_pid" || true
  }
  half=$((CALLS / 2))
  run_counted "$half"
  run_counted "$CALLS"
  echo "$SERVER $workload, -c$CLIENTS -m$STREAMS: calls per RPC ((count of $CALLS RPCs - count of $half) / $half)"
  join -t, -1 3 -2 3 <(grep -v '^#' "$WORKDIR/stat.$half" | grep , | sort -t, -k3) \
    <(grep -v '^#' "$WORKDIR/stat.$CALLS" | grep , | sort -t, -k3) |
    awk -F, -v d="$half" '{ n = $1; sub(/^probe_[^:]*:/, "", n); printf "  %-20s %10.1f\n", n, ($8 - $2) / d }'
  exit 0
fi

# --- profile -------------------------------------------------------------------------------------
"${server_cmd[@]}" >"$WORKDIR/server.log" 2>&1 &
server=$!
perf_pid=
trap 'kill $server 2>/dev/null || true; [[ -n "$perf_pid" ]] && kill -INT $perf_pid 2>/dev/null || true' EXIT
wait_port "$WORKDIR/server.log"

# Warm up (connections, allocator, lazily initialised metadata), then record a fixed run.
load $((CALLS / 10)) >/dev/null
perf record -e cpu-clock -F 2000 --call-graph "$CALL_GRAPH" -p "$server" -o "$WORKDIR/perf.data" \
  2>"$WORKDIR/perf-record.log" &
perf_pid=$!
sleep 0.5
echo "$SERVER $workload: $CALLS calls at -c$CLIENTS -m$STREAMS; load average $(cut -d' ' -f1-3 /proc/loadavg)"
load "$CALLS" | tee "$WORKDIR/h2load.txt" |
  grep -E '^(finished|requests|status codes|traffic|time for request)'
kill -INT "$perf_pid"; wait "$perf_pid" || true; perf_pid=
grep -E 'VmHWM|VmRSS' "/proc/$server/status"

report() {
  perf report -i "$WORKDIR/perf.data" --stdio --no-demangle -g none "$@" 2>/dev/null |
    swift demangle --simplified | c++filt | grep -Ev '^#|^$' | cut -c1-200
}
echo
echo "== self, by thread =="
report --no-children --sort comm | head -8
echo
echo "== self, by shared object =="
report --no-children --sort dso | head -12
echo
echo "== self, by symbol (top $TOP) =="
report --no-children --sort sym --percent-limit 0.3 | head -"$TOP"
echo
echo "== inclusive, by symbol (top $TOP at >= 1%) =="
report --children --sort sym --percent-limit 1 | grep -v '\[k\]' | head -"$TOP"
echo
echo "perf data: $WORKDIR/perf.data (perf report -i $WORKDIR/perf.data --children)"

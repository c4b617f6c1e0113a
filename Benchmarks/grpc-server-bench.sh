#!/usr/bin/env bash
# gRPC server benchmark (issue 3): Wirebank's `wirebank interop-server` against a grpc-swift-2
# 2.4.3 server (GRPCSwiftPeerServer, grpc-swift-nio-transport plaintext) generated from the same
# Protos/grpc/testing/*.proto, with nghttpd serving a static body of the same size as the ceiling.
# All three are loaded by h2load in one run and the script prints one table.
#
#   ./grpc-server-bench.sh                    # build both servers (release), run, print the table
#   DURATION=5 ./grpc-server-bench.sh         # shorter rows
#   NO_BUILD=1 ./grpc-server-bench.sh         # use the binaries already built
#   ONLY=unary LOADS="10x10" ./grpc-server-bench.sh   # a subset
#
# Environment:
#   DURATION     measured seconds per row (h2load -D), default 8
#   WARMUP       warm-up seconds per row (h2load --warm-up-time), default 1
#   LOADS        space-separated CxM list, default "1x1 10x10 50x100" (h2load -cC -mM)
#   ONLY         "unary" or "stream" to run one workload, default both
#   UNARY_SIZE   request payload and response payload bytes of UnaryCall, default 100
#   STREAM_COUNT / STREAM_SIZE   StreamingOutputCall responses per call and bytes each,
#                default 64 × 16384
#   RSS_LIMIT_MIB  a server above this RSS is killed (and reported), default 8192
#   WORKDIR      where bodies, server logs and h2load outputs go, default a fresh /tmp directory
#   NGHTTPD_WORKERS  nghttpd -n, default 1
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
DURATION="${DURATION:-8}"
WARMUP="${WARMUP:-1}"
LOADS="${LOADS:-1x1 10x10 50x100}"
ONLY="${ONLY:-}"
UNARY_SIZE="${UNARY_SIZE:-100}"
STREAM_COUNT="${STREAM_COUNT:-64}"
STREAM_SIZE="${STREAM_SIZE:-16384}"
RSS_LIMIT_MIB="${RSS_LIMIT_MIB:-8192}"
NGHTTPD_WORKERS="${NGHTTPD_WORKERS:-1}"
WORKDIR="${WORKDIR:-$(mktemp -d /tmp/grpc-server-bench.XXXXXX)}"
mkdir -p "$WORKDIR"
started_at=$(date +%s)

log() { printf '%s\n' "$*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# --- tools -----------------------------------------------------------------------------------
missing=()
{ command -v h2load && command -v nghttp; } >/dev/null || missing+=(nghttp2-client)
{ command -v nghttpd || [[ -x /usr/sbin/nghttpd ]]; } >/dev/null || missing+=(nghttp2-server)
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  apt-get install -y "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
fi
NGHTTPD="$(command -v nghttpd || echo /usr/sbin/nghttpd)"
command -v python3 >/dev/null || { log "error: python3 is needed to build the request bodies"; exit 1; }

# --- build -----------------------------------------------------------------------------------
ours_bin="$root/.build-release/release/wirebank"
peer_bin="$here/.build/release/GRPCSwiftPeerServer"
if [[ -z "${NO_BUILD:-}" ]]; then
  log "building wirebank (release, $root/.build-release) ..."
  (cd "$root" && swift build -c release --product wirebank --scratch-path .build-release) \
    >"$WORKDIR/build-ours.log" 2>&1 || { tail -30 "$WORKDIR/build-ours.log" >&2; exit 1; }
  log "building GRPCSwiftPeerServer (release, Benchmarks/.build) ..."
  (cd "$here" && swift build -c release --product GRPCSwiftPeerServer) \
    >"$WORKDIR/build-peer.log" 2>&1 || { tail -30 "$WORKDIR/build-peer.log" >&2; exit 1; }
fi
for bin in "$ours_bin" "$peer_bin"; do
  [[ -x "$bin" ]] || { log "error: $bin is missing (run without NO_BUILD)"; exit 1; }
done
built_at=$(date +%s)

# --- request bodies and the static files for nghttpd ------------------------------------------
# gRPC framing (flag 0, 4-byte big-endian length) of hand-encoded protobuf:
#   unary.req     SimpleRequest{response_size: N, payload{body: N zero bytes}}
#   unary.resp    SimpleResponse{payload{body: N zero bytes}}            (what both servers send)
#   stream.req    StreamingOutputCallRequest{response_parameters: K × {size: S}}
#   stream.resp   K × StreamingOutputCallResponse{payload{body: S zero bytes}}
mkdir -p "$WORKDIR/htdocs"
python3 - "$WORKDIR" "$UNARY_SIZE" "$STREAM_COUNT" "$STREAM_SIZE" <<'EOF'
import struct, sys
work, unary, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F; n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n: return bytes(out)
def ld(field, data): return varint(field << 3 | 2) + varint(len(data)) + data
def vi(field, n): return varint(field << 3) + varint(n)
def frame(msg): return b"\x00" + struct.pack(">I", len(msg)) + msg
payload = lambda n: ld(2, bytes(n))                      # Payload.body = 2
open(f"{work}/unary.req", "wb").write(frame(vi(2, unary) + ld(3, payload(unary))))
open(f"{work}/htdocs/unary.resp", "wb").write(frame(ld(1, payload(unary))))
open(f"{work}/stream.req", "wb").write(frame(b"".join(ld(2, vi(1, size)) for _ in range(count))))
open(f"{work}/htdocs/stream.resp", "wb").write(frame(ld(1, payload(size))) * count)
EOF
unary_resp_bytes=$(stat -c %s "$WORKDIR/htdocs/unary.resp")
stream_resp_bytes=$(stat -c %s "$WORKDIR/htdocs/stream.resp")

# --- servers ---------------------------------------------------------------------------------
declare -A pid port
crashes=()
servers=(ours peer nghttpd)
declare -A label=([ours]="wirebank" [peer]="grpc-swift-2" [nghttpd]="nghttpd (static)")

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for_line() {  # file regex timeout-seconds → prints the first match's last number
  local file=$1 regex=$2 deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    if grep -Eq "$regex" "$file" 2>/dev/null; then
      grep -Eo "$regex" "$file" | head -1 | grep -Eo '[0-9]+$'
      return 0
    fi
    sleep 0.1
  done
  return 1
}

start_server() {
  local s=$1 out="$WORKDIR/$1.log"
  : >"$out"
  case $s in
    ours)
      "$ours_bin" interop-server --host 127.0.0.1 --port 0 >"$out" 2>&1 &
      pid[$s]=$!
      port[$s]=$(wait_for_line "$out" 'listening on port [0-9]+' 30) ||
        { log "error: wirebank did not start"; cat "$out" >&2; exit 1; } ;;
    peer)
      "$peer_bin" --host 127.0.0.1 --port 0 >"$out" 2>&1 &
      pid[$s]=$!
      port[$s]=$(wait_for_line "$out" 'listening on port [0-9]+' 30) ||
        { log "error: GRPCSwiftPeerServer did not start"; cat "$out" >&2; exit 1; } ;;
    nghttpd)
      port[$s]=$(free_port)
      "$NGHTTPD" --no-tls -n "$NGHTTPD_WORKERS" -d "$WORKDIR/htdocs" "${port[$s]}" >"$out" 2>&1 &
      pid[$s]=$!
      local deadline=$((SECONDS + 10))
      until (exec 3<>"/dev/tcp/127.0.0.1/${port[$s]}") 2>/dev/null; do
        ((SECONDS < deadline)) || { log "error: nghttpd did not start"; cat "$out" >&2; exit 1; }
        sleep 0.1
      done ;;
  esac
}

stop_servers() {  # [when]: SIGTERM, then SIGKILL after 5 s
  local s deadline
  [[ -n "${watch_pid:-}" ]] && { kill "$watch_pid" 2>/dev/null || true; }
  for s in "${servers[@]}"; do
    [[ -n "${pid[$s]:-}" ]] && { kill "${pid[$s]}" 2>/dev/null || true; }
  done
  deadline=$((SECONDS + 5))
  for s in "${servers[@]}"; do
    [[ -n "${pid[$s]:-}" ]] || continue
    while kill -0 "${pid[$s]}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -9 "${pid[$s]}" 2>/dev/null; then
      crashes+=("${label[$s]} did not exit within 5 s of SIGTERM${1:+ ($1)}: killed")
    fi
    wait "${pid[$s]}" 2>/dev/null || true
    pid[$s]=
  done
}
cleanup() { stop_servers; }
trap cleanup EXIT
trap 'exit 130' INT TERM

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

for s in "${servers[@]}"; do start_server "$s"; done

# --- one call each, to check that every server answers the way the load assumes ----------------
url() {  # server workload
  case $1 in
    nghttpd) echo "http://127.0.0.1:${port[$1]}/$2.resp" ;;
    *) if [[ $2 == unary ]]; then
         echo "http://127.0.0.1:${port[$1]}/grpc.testing.TestService/UnaryCall"
       else
         echo "http://127.0.0.1:${port[$1]}/grpc.testing.TestService/StreamingOutputCall"
       fi ;;
  esac
}
check_errors=()
for w in unary stream; do
  for s in "${servers[@]}"; do
    out="$WORKDIR/check-$s-$w.txt"
    timeout 30 nghttp -v -n -H ':method: POST' -H 'content-type: application/grpc' -H 'te: trailers' \
      -d "$WORKDIR/$w.req" "$(url "$s" "$w")" >"$out" 2>&1 || true
    want=$([[ $w == unary ]] && echo "$unary_resp_bytes" || echo "$stream_resp_bytes")
    got=$(grep -Eo 'recv DATA frame <length=[0-9]+' "$out" | grep -Eo '[0-9]+$' | awk "{ s += \$1 } END { print s + 0 }")
    if ! grep -Eq 'recv \(stream_id=[0-9]+\) :status: 200' "$out"; then
      check_errors+=("$s $w: no :status 200 (see $out)")
    elif [[ $s != nghttpd ]] && ! grep -Eq 'recv \(stream_id=[0-9]+\) grpc-status: 0$' "$out"; then
      check_errors+=("$s $w: no grpc-status 0 (see $out)")
    elif [[ "${got:-0}" != "$want" ]]; then
      check_errors+=("$s $w: ${got:-0} response bytes, expected $want (see $out)")
    fi
  done
done
if ((${#check_errors[@]})); then
  printf 'check failed: %s\n' "${check_errors[@]}" >&2
  exit 1
fi
stop_servers

# --- load -------------------------------------------------------------------------------------
declare -A res   # key "workload/load/server/field"

watch_rss() {  # pid: kill the server if its RSS passes the limit
  local p=$1 limit=$((RSS_LIMIT_MIB * 1024))
  while kill -0 "$p" 2>/dev/null; do
    if (($(status_kib "$p" VmRSS) > limit)); then
      echo "RSS above ${RSS_LIMIT_MIB} MiB: killed" >"$WORKDIR/rss-killed.$p"
      kill -9 "$p" 2>/dev/null
      return
    fi
    sleep 0.2
  done
}

to_us() {  # "1.23ms" / "456us" / "2.5s" → microseconds
  awk -v v="$1" 'BEGIN {
    if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.0f", v * 1000 }
    else if (v ~ /us$/) { sub(/us$/, "", v); printf "%.0f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.0f", v * 1000000 }
    else printf "0" }'
}

run_row() {  # workload c m server
  local w=$1 c=$2 m=$3 s=$4 key="$1/$2x$3/$4"
  local out="$WORKDIR/h2load-$w-${c}x$m-$s.txt"
  if ! kill -0 "${pid[$s]}" 2>/dev/null; then
    crashes+=("${label[$s]} was not running before $w ${c}x$m")
    return
  fi
  watch_rss "${pid[$s]}" & watch_pid=$!
  local hdr=(-H 'content-type: application/grpc' -H 'te: trailers')
  timeout $((DURATION + WARMUP + 60)) h2load -c "$c" -m "$m" -t 1 \
    -D "$DURATION" --warm-up-time "$WARMUP" -d "$WORKDIR/$w.req" "${hdr[@]}" \
    "$(url "$s" "$w")" >"$out" 2>&1 &
  local h2load_pid=$!
  # The server's CPU time (all threads, user + system) over the measured part, after warm-up.
  sleep "$WARMUP"
  local cpu_before cpu_after h2load_rc=0
  cpu_before=$(cpu_ticks "${pid[$s]}")
  wait "$h2load_pid" || h2load_rc=$?
  cpu_after=$(cpu_ticks "${pid[$s]}")
  ((h2load_rc == 0)) || echo "h2load exit $h2load_rc" >>"$out"
  res[$key/hwm]=$(status_kib "${pid[$s]}" VmHWM)
  kill "$watch_pid" 2>/dev/null || true; wait "$watch_pid" 2>/dev/null || true; watch_pid=
  if ! kill -0 "${pid[$s]}" 2>/dev/null; then
    local why="exited"
    [[ -f "$WORKDIR/rss-killed.${pid[$s]}" ]] && why=$(cat "$WORKDIR/rss-killed.${pid[$s]}")
    local rc=0; wait "${pid[$s]}" 2>/dev/null || rc=$?
    crashes+=("${label[$s]} died during $w ${c}x$m ($why, status $rc); log: $WORKDIR/$s-$w-${c}x$m.log")
    res[$key/hwm]=0
  fi
  local line
  line=$(grep -E '^finished in' "$out" || true)
  res[$key/rps]=$(sed -nE 's/^finished in [0-9.]+s, ([0-9.]+) req\/s.*/\1/p' <<<"$line")
  local secs; secs=$(sed -nE 's/^finished in ([0-9.]+)s.*/\1/p' <<<"$line")
  line=$(grep -E '^requests:' "$out" || true)
  res[$key/succeeded]=$(sed -nE 's/.* ([0-9]+) succeeded.*/\1/p' <<<"$line")
  res[$key/bad]=$(sed -nE 's/.* ([0-9]+) failed, ([0-9]+) errored, ([0-9]+) timeout.*/\1\/\2\/\3/p' <<<"$line")
  line=$(grep -E '^traffic:' "$out" || true)
  local data; data=$(sed -nE 's/.*\(([0-9]+)\) data.*/\1/p' <<<"$line")
  res[$key/mbps]=$(awk -v d="${data:-0}" -v t="${secs:-0}" 'BEGIN { if (t > 0) printf "%.1f", d / t / 1e6; else print "-" }')
  line=$(grep -E '^time for request:' "$out" || true)
  read -r _ _ _ _min max mean _ <<<"$line" || true
  res[$key/mean]=$(to_us "${mean:-0}")
  res[$key/max]=$(to_us "${max:-0}")
  res[$key/cpu]=$(awk -v a="$cpu_before" -v b="$cpu_after" -v hz="$CLK_TCK" -v r="${res[$key/rps]:-0}" \
    -v t="$DURATION" 'BEGIN { n = r * t; if (n > 0 && b > a) printf "%.1f", (b - a) / hz * 1e6 / n; else print "-" }')
  log "  $w ${c}x$m ${label[$s]}: ${res[$key/rps]:-?} req/s, mean ${mean:-?}, max ${max:-?}, peak RSS $(mib "${res[$key/hwm]:-0}") MiB, CPU ${res[$key/cpu]} us/call, failed/errored/timeout ${res[$key/bad]:-?}"
}

workloads=(unary stream)
[[ -n "$ONLY" ]] && workloads=("$ONLY")
load_before=$(loadavg)
log "load: h2load -D $DURATION --warm-up-time $WARMUP, -t 1; load average $load_before; work dir $WORKDIR"
for w in "${workloads[@]}"; do
  for l in $LOADS; do
    c=${l%x*}; m=${l#*x}
    # Fresh processes for every (workload, load): peak RSS is that row's alone, and memory that
    # a server keeps after a heavy row does not carry over into the next.
    for s in "${servers[@]}"; do start_server "$s"; done
    for s in "${servers[@]}"; do run_row "$w" "$c" "$m" "$s"; done
    sleep 1
    for s in "${servers[@]}"; do
      res[$w/${c}x$m/$s/rss_after]=$(status_kib "${pid[$s]:-0}" VmRSS)
      cp "$WORKDIR/$s.log" "$WORKDIR/$s-$w-${c}x$m.log"
    done
    stop_servers "after $w ${c}x$m"
  done
done
load_after=$(loadavg)

# --- table ------------------------------------------------------------------------------------
fmt_us() {
  awk -v u="$1" 'BEGIN {
    if (u == "" || u == 0) print "-"
    else if (u >= 1000000) printf "%.2fs", u / 1000000
    else if (u >= 10000) printf "%.1fms", u / 1000
    else if (u >= 1000) printf "%.2fms", u / 1000
    else printf "%dus", u }'
}
fmt_cpu() { awk -v u="$1" 'BEGIN { if (u == "" || u == "-") print "-"; else if (u >= 1000) printf "%.2fms", u / 1000; else printf "%.1fus", u }'; }
fmt_mib() { awk -v k="${1:-0}" 'BEGIN { if (k > 0) printf "%.1f MiB", k / 1024; else print "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0 || a == 0) print "-"; else printf "%.2fx", a / b }'; }

echo
echo "gRPC server benchmark: wirebank interop-server vs grpc-swift-2 2.4.3 (grpc-swift-nio-transport 2.9.2," \
  "plaintext); nghttpd serving a static body of the same size is the ceiling"
echo "h2load -t1 -D ${DURATION}s --warm-up-time ${WARMUP}s; fresh server processes for every workload x load"
echo "unary:  UnaryCall, ${UNARY_SIZE} B request payload, ${UNARY_SIZE} B response payload (${unary_resp_bytes} B framed response)"
echo "stream: StreamingOutputCall, ${STREAM_COUNT} x ${STREAM_SIZE} B responses per call (${stream_resp_bytes} B framed);" \
  "MB/s = 10^6 DATA bytes that h2load received / its whole run (warm-up included, as h2load counts them)"
echo "CPU/call = the server's CPU time (all threads, user + system) after warm-up / calls completed after warm-up (h2load's req/s x -D)"
echo "peak RSS = the server's VmHWM over the row; RSS after = VmRSS 1 s after the row, idle"
echo "o/p = wirebank / grpc-swift-2: req/s (>1: wirebank faster), mean latency, CPU/call and peak RSS (<1: wirebank better);" \
  "on nghttpd rows, req/s o/p is wirebank / nghttpd (share of the ceiling)"
echo "nghttpd $($NGHTTPD --version 2>/dev/null | awk '{print $2}') --no-tls -n ${NGHTTPD_WORKERS}:" \
  "the same POST with the same headers, answered with a static file"
echo
fmt='%-8s %-10s %-16s %10s %8s %8s %8s %10s %11s %11s  %-9s %-8s %-8s %-8s %s\n'
# shellcheck disable=SC2059
printf "$fmt" workload load server "req/s" "MB/s" mean max "CPU/call" "peak RSS" "RSS after" \
  "req/s o/p" "mean o/p" "CPU o/p" "RSS o/p" "failed/errored/timeout"
printf '%s\n' "$(printf -- '-%.0s' {1..170})"
for w in "${workloads[@]}"; do
  for l in $LOADS; do
    c=${l%x*}; m=${l#*x}; g="$w/${c}x$m"
    for s in "${servers[@]}"; do
      k="$g/$s"
      r1="" r2="" r3="" r4=""
      case $s in
        ours)
          r1=$(ratio "${res[$k/rps]:-}" "${res[$g/peer/rps]:-}")
          r2=$(ratio "${res[$k/mean]:-}" "${res[$g/peer/mean]:-}")
          r3=$(ratio "${res[$k/cpu]:-}" "${res[$g/peer/cpu]:-}")
          r4=$(ratio "${res[$k/hwm]:-}" "${res[$g/peer/hwm]:-}") ;;
        nghttpd)
          r1=$(awk -v a="${res[$g/ours/rps]:-0}" -v b="${res[$k/rps]:-0}" \
            'BEGIN { if (a > 0 && b > 0) printf "%.1f%%", 100 * a / b; else print "-" }') ;;
      esac
      # shellcheck disable=SC2059
      printf "$fmt" "$w" "-c$c -m$m" "${label[$s]}" "${res[$k/rps]:--}" "${res[$k/mbps]:--}" \
        "$(fmt_us "${res[$k/mean]:-}")" "$(fmt_us "${res[$k/max]:-}")" "$(fmt_cpu "${res[$k/cpu]:-}")" \
        "$(fmt_mib "${res[$k/hwm]:-}")" "$(fmt_mib "${res[$k/rss_after]:-}")" \
        "$r1" "$r2" "$r3" "$r4" "${res[$k/bad]:--}"
    done
  done
done
echo
if ((${#crashes[@]})); then printf 'PROBLEM: %s\n' "${crashes[@]}"; echo; fi
echo "load average before $load_before, after $load_after (2 cores, shared with h2load and anything" \
  "else running); build $((built_at - started_at)) s, total $(($(date +%s) - started_at)) s"
echo "raw h2load output and server logs: $WORKDIR"

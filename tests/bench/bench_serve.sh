#!/usr/bin/env bash
# bench_serve.sh — load on `mapsolve serve`: wrk on loopback against
# POST /api/solve on map-opt1.3b-hh (2,312 samples, ingested into a
# temporary store) with random numeric palettes over three values (humor,
# gpt2-helpful, gpt2-harmless; each target uniform between the value's q20
# and q80, drawn per request by serve_solve.lua), the server on 2 threads.
# Prints solves/s and the p50/p90/p99 latencies; asserts nothing about
# speed (the goal: at least 5,000 solves/s with p99 under 10 ms).
#
#   bench_serve.sh [--duration S] [--connections C] [--wrk-threads T]
#
# Environment: MAPSOLVE_BIN (the binary), MAP_SHARED (the shared folder with
# datasets/). Needs wrk. Exit 0 when measured, 1 when something failed, 2 on
# misuse.
set -euo pipefail

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN}
SHARED=${MAP_SHARED:?set MAP_SHARED}
HERE=$(cd "$(dirname "$0")" && pwd)
DURATION=10
CONNS=8
WRK_THREADS=2
while [ $# -gt 0 ]; do
    case $1 in
        --duration) DURATION=${2:?}; shift ;;
        --connections) CONNS=${2:?}; shift ;;
        --wrk-threads) WRK_THREADS=${2:?}; shift ;;
        *) echo "usage: bench_serve.sh [--duration S] [--connections C] [--wrk-threads T]" >&2; exit 2 ;;
    esac
    shift
done
command -v wrk >/dev/null || { echo "bench_serve.sh: wrk is required" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mapsolve-bench-serve.XXXXXX")
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
DB=$WORK/bench.db
"$BIN" ingest "$SHARED/datasets/map-opt1.3b-hh.csv" --name opt --prompt-column prompt \
    --text-columns generated --db "$DB" 2>/dev/null

# The bounds: each value's q20 and q80 (the targets feasible resolves).
VALUES=(humor gpt2-helpful gpt2-harmless)
bound() { # bound PCT: name=target,... resolved by feasible
    local spec="" v
    for v in "${VALUES[@]}"; do spec+="${spec:+,}$v=q$1"; done
    "$BIN" feasible opt --palette "$spec" --json --db "$DB" 2>/dev/null |
        jq -r '[.values[] | .target] | map(tostring) | join(" ")'
}
read -r -a LO <<<"$(bound 20)"
read -r -a HI <<<"$(bound 80)"
BOUNDS=""
for i in "${!VALUES[@]}"; do BOUNDS+="${BOUNDS:+,}${VALUES[$i]}:${LO[$i]}:${HI[$i]}"; done

"$BIN" serve --db "$DB" --port 0 --threads 2 2>"$WORK/serve.log" &
SERVER_PID=$!
PORT=
for _ in $(seq 200); do
    PORT=$(sed -n 's/^listening on http:\/\/[^ ]*:\([0-9]*\)$/\1/p' "$WORK/serve.log")
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.05
done
[ -n "$PORT" ] || { echo "bench_serve.sh: the server did not start" >&2; exit 1; }
URL=http://127.0.0.1:$PORT
for _ in $(seq 200); do curl -sf "$URL/api/health" >/dev/null && break; sleep 0.05; done
# One request first: the dataset is loaded once, before the measurement.
curl -sf -X POST "$URL/api/solve" -d '{"dataset":"opt","palette":"humor=q50"}' >/dev/null

echo "bench_serve: wrk -t$WRK_THREADS -c$CONNS -d${DURATION}s, server --threads 2, bounds $BOUNDS" >&2
MAP_BOUNDS=$BOUNDS MAP_DATASET=opt wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
    -s "$HERE/serve_solve.lua" "$URL/api/solve" | tee "$WORK/wrk.out" >&2
SOLVES=$(sed -n 's/^solves_per_s //p' "$WORK/wrk.out")
read -r _ P50 _ P90 _ P99 < <(grep '^p50_ms' "$WORK/wrk.out")
BAD=$(sed -n 's/^non-200 answers: //p' "$WORK/wrk.out")
OPT=$(sed -n 's/^optimal: \([0-9.]*\).*/\1/p' "$WORK/wrk.out")
echo "| solves/s | p50 (ms) | p90 (ms) | p99 (ms) | non-200 | optimal share |"
echo "|---:|---:|---:|---:|---:|---:|"
echo "| $SOLVES | $P50 | $P90 | $P99 | $BAD | $OPT |"
[ "$BAD" = 0 ]

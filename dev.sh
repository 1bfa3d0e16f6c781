#!/usr/bin/env bash
# dev.sh — set up, build and run mapsolve on a fresh Debian 12 machine.
#
#   ./dev.sh demo   install missing packages, build, solve a palette on datasets/synthetic.csv
#   ./dev.sh test   install missing packages, build, run the whole test suite, then the whole
#                   suite again in a sanitizer build (address, undefined), then each fuzz
#                   target under libFuzzer (clang, address + undefined) for a bounded time
#   ./dev.sh bench [--quick]
#                   install missing packages, build, run the benchmark of the built binary
#                   (tests/bench/bench_cli.sh: whole commands against a summation pass and the
#                   MAP reference procedure in PyTorch and in C, at n = 10^7, or 10^6 with
#                   --quick) and print its Markdown table, then the HTTP service's load
#                   figures (tests/bench/bench_serve.sh: wrk against /api/solve)
#
# Environment: BUILD_DIR (default build), CI=true adds -Dwerror=true, FUZZ_SECONDS (default
# 50: per fuzz target; 0 skips the fuzz runs).
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(gcc meson ninja-build pkg-config libgsl-dev libnlopt-dev libsqlite3-dev libcsv-dev
          libjansson-dev libxxhash-dev libglpk-dev libmicrohttpd-dev libcairo2-dev sqlite3 jq clang
          libclang-rt-14-dev chromium chromium-driver python3-selenium python3-jsonschema)

# Only for ./dev.sh bench: the MAP reference procedure as published (PyTorch).
BENCH_PACKAGES=(python3-torch python3-numpy wrk)

# install_missing [PACKAGE...]: installs those of PACKAGES (or of the arguments) not yet installed.
install_missing() {
    local missing=() wanted=("$@")
    [ ${#wanted[@]} -eq 0 ] && wanted=("${PACKAGES[@]}")
    for p in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    echo "dev.sh: installing ${missing[*]}" >&2
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
    local dir=${BUILD_DIR:-build}
    local opts=()
    [ "${CI:-}" = true ] && opts+=(-Dwerror=true)
    if [ -f "$dir/build.ninja" ]; then
        meson configure "$dir" "${opts[@]}" >/dev/null
    else
        meson setup "$dir" "${opts[@]}" >/dev/null
    fi
    ninja -C "$dir" >/dev/null
}

demo() {
    local dir=${BUILD_DIR:-build}
    local db="$dir/demo.db"
    local bin="$dir/cli/mapsolve"
    "$bin" ingest datasets/synthetic.csv --db "$db" --name synthetic \
        --prompt-column prompt --text-columns response --replace
    "$bin" describe synthetic --db "$db"
    echo
    "$bin" solve synthetic --db "$db" --palette helpful=q70,harmless=q60,humor=mean
}

# Counts the results in a meson test log: prints "PASSED FAILED".
count_results() {
    local log=$1/meson-logs/testlog.json
    [ -f "$log" ] || { echo "0 1"; return; }
    echo "$(grep -c '"result": "OK"' "$log" || true) \
$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)"
}

run_tests() {
    local dir=${BUILD_DIR:-build}
    local rc=0
    meson test -C "$dir" --print-errorlogs --num-processes 2 || rc=$?
    local p f
    read -r p f < <(count_results "$dir")
    # The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer
    # (the real-data test takes about 4.5 minutes there; timeouts doubled).
    local asan=${dir}-asan
    if [ ! -f "$asan/build.ninja" ]; then
        meson setup "$asan" -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
            -Db_lundef=false ${CI:+-Dwerror=true} >/dev/null
    fi
    ninja -C "$asan" >/dev/null
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C "$asan" --print-errorlogs --num-processes 2 -t 2 || rc=$?
    local ap af
    read -r ap af < <(count_results "$asan")
    FUZZ_PASSED=0 FUZZ_FAILED=0
    run_fuzz "${dir}-fuzz" || rc=$?
    # One closing line that any log reader understands (each fuzz run counts as a test).
    echo "tests: $((p + ap + FUZZ_PASSED)) passed, $((f + af + FUZZ_FAILED)) failed"
    return $rc
}

FUZZ_TARGETS=(csv json palette grid args request)

# fuzz_one DIR TARGET SECONDS: one bounded libFuzzer run of DIR/tests/fuzz/fuzz_TARGET on its
# seed corpus (tests/fuzz/corpus/TARGET, read only) plus what earlier runs found (kept in
# DIR/fuzz-corpus/TARGET); a crash, leak, sanitizer report, violated invariant or an input
# slower than 10 s fails it and leaves the input in fuzz-out/. Prints one summary line.
fuzz_one() {
    local dir=$1 t=$2 secs=$3
    local corpus=$dir/fuzz-corpus/$t log=$dir/fuzz-$t.log
    mkdir -p "$corpus" fuzz-out
    local rc=0
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        timeout $((secs + 120)) "$dir/tests/fuzz/fuzz_$t" "$corpus" "tests/fuzz/corpus/$t" \
        -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="fuzz-out/$t-" >"$log" 2>&1 || rc=$?
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz $t: ${runs:-?} executions in ${secs} s, no crash"
    else
        echo "fuzz $t: FAILED (exit $rc) after ${runs:-?} executions; log $log, input in fuzz-out/:"
        grep -E 'ERROR|invariant violated|SUMMARY|Test unit written' "$log" | head -n 8 || true
    fi
    return $rc
}

# Builds the libFuzzer targets (clang, address + undefined, libraries instrumented for
# coverage) in DIR and runs each for FUZZ_SECONDS, two at a time. Sets FUZZ_PASSED and
# FUZZ_FAILED.
run_fuzz() {
    local dir=$1 secs=${FUZZ_SECONDS:-50}
    [ "$secs" -gt 0 ] || return 0
    if [ ! -f "$dir/build.ninja" ]; then
        CC=clang meson setup "$dir" -Dfuzzing=true -Dbuildtype=debugoptimized \
            -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link \
            ${CI:+-Dwerror=true} >/dev/null
    fi
    local targets=() t
    for t in "${FUZZ_TARGETS[@]}"; do targets+=("tests/fuzz/fuzz_$t"); done
    ninja -C "$dir" "${targets[@]}" >/dev/null
    local i rc=0
    for ((i = 0; i < ${#FUZZ_TARGETS[@]}; i += 2)); do
        local pids=() outs=()
        for t in "${FUZZ_TARGETS[@]:i:2}"; do
            fuzz_one "$dir" "$t" "$secs" >"$dir/fuzz-$t.summary" &
            pids+=($!)
            outs+=("$dir/fuzz-$t.summary")
        done
        local k
        for k in "${!pids[@]}"; do
            if wait "${pids[$k]}"; then
                FUZZ_PASSED=$((FUZZ_PASSED + 1))
            else
                FUZZ_FAILED=$((FUZZ_FAILED + 1))
                rc=1
            fi
            cat "${outs[$k]}"
        done
    done
    return $rc
}

case "${1:-}" in
    demo) install_missing; build; demo ;;
    test) install_missing; build; run_tests ;;
    bench) shift; install_missing; install_missing "${BENCH_PACKAGES[@]}"; build
           MAPSOLVE_BIN="${BUILD_DIR:-build}/cli/mapsolve" MAP_BENCH_DIR="${BUILD_DIR:-build}/tests" \
               MAP_SHARED="${MAP_SHARED:-../shared}" bash tests/bench/bench_cli.sh "$@"
           echo
           MAPSOLVE_BIN="${BUILD_DIR:-build}/cli/mapsolve" MAP_SHARED="${MAP_SHARED:-../shared}" \
               bash tests/bench/bench_serve.sh ;;
    *) echo "usage: ./dev.sh demo|test|bench [--quick]" >&2; exit 2 ;;
esac

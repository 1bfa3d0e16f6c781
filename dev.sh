#!/usr/bin/env bash
# dev.sh — set up, build and run mapsolve on a fresh Debian 12 machine.
#
#   ./dev.sh demo   install missing packages, build, solve a palette on datasets/synthetic.csv
#   ./dev.sh test   install missing packages, build, run the whole test suite, then the fast
#                   suite again in a sanitizer build (address, undefined)
#
# Environment: BUILD_DIR (default build), CI=true adds -Dwerror=true.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(gcc meson ninja-build pkg-config libgsl-dev libnlopt-dev libsqlite3-dev libcsv-dev
          libjansson-dev libxxhash-dev libglpk-dev sqlite3 jq)

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
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
    # The fast suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
    local asan=${dir}-asan
    if [ ! -f "$asan/build.ninja" ]; then
        meson setup "$asan" -Dbuildtype=debugoptimized -Db_sanitize=address,undefined \
            -Db_lundef=false ${CI:+-Dwerror=true} >/dev/null
    fi
    ninja -C "$asan" >/dev/null
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        meson test -C "$asan" --suite fast --print-errorlogs --num-processes 2 || rc=$?
    local ap af
    read -r ap af < <(count_results "$asan")
    # One closing line that any log reader understands.
    echo "tests: $((p + ap)) passed, $((f + af)) failed"
    return $rc
}

case "${1:-}" in
    demo) install_missing; build; demo ;;
    test) install_missing; build; run_tests ;;
    *) echo "usage: ./dev.sh demo|test" >&2; exit 2 ;;
esac

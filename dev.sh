#!/usr/bin/env bash
# dev.sh — set up, build and run mapsolve on a fresh Debian 12 machine.
#
#   ./dev.sh demo   install missing packages, build, solve a palette on datasets/synthetic.csv
#   ./dev.sh test   install missing packages, build, run the whole test suite
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

run_tests() {
    local dir=${BUILD_DIR:-build}
    local rc=0
    meson test -C "$dir" --print-errorlogs --num-processes 2 || rc=$?
    # One closing line that any log reader understands.
    if [ -f "$dir/meson-logs/testlog.json" ]; then
        local passed failed
        passed=$(grep -c '"result": "OK"' "$dir/meson-logs/testlog.json" || true)
        failed=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$dir/meson-logs/testlog.json" || true)
        echo "tests: $passed passed, $failed failed"
    fi
    return $rc
}

case "${1:-}" in
    demo) install_missing; build; demo ;;
    test) install_missing; build; run_tests ;;
    *) echo "usage: ./dev.sh demo|test" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# cli_cases_test.sh — runs the table of command-line cases in cli_cases.txt
# (or the file given as $1): each command with the binary, each expectation
# one check named "COMMAND: EXPECTATION". A malformed line is a failure, not
# a skip.
#
# Environment: MAPSOLVE_BIN (the binary). Prints "N passed, M failed" last
# and exits non-zero on any failure.
set -u

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN to the mapsolve binary}
CASES=${1:-$(dirname "$0")/cli_cases.txt}
. "$(dirname "$0")/../lib.sh"
make_work cases
# No case may touch a real store.
export MAPSOLVE_DB=$WORK/none.db

# expect LINE: one expectation on the last run, true when it holds.
expect() {
    local stream what rest file
    read -r stream what rest <<<"$1"
    case $stream in
    stdout) file=$OUT ;;
    stderr) file=$ERR ;;
    exit) [ "$what" = "$RC" ]; return ;;
    *) return 2 ;;
    esac
    case $what in
    has) grep -qF -- "${1#* has }" "$file" ;;
    empty) [ ! -s "$file" ] ;;
    line1) head -n 1 "$file" | grep -qE -- "${1#* line1 }" ;;
    *) return 2 ;;
    esac
}

cmd=""
while IFS= read -r line || [ -n "$line" ]; do
    case $line in
    '#'*) continue ;;
    '') cmd=""; continue ;;
    mapsolve | 'mapsolve '*)
        cmd=$line
        CASE=$cmd
        read -ra args <<<"${line#mapsolve}"
        run ${args[@]+"${args[@]}"}
        ;;
    *)
        if [ -z "$cmd" ]; then
            check "an expectation outside a case: '$line'" false
        else
            check "$cmd: $line" expect "$line"
        fi
        ;;
    esac
done <"$CASES"

check "the case file was read (not empty)" [ $((PASS + FAIL)) -gt 1 ]
[ ! -e "$MAPSOLVE_DB" ] || check "no case created a database" false
finish

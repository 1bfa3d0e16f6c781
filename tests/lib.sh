# lib.sh — the helpers shared by the end-to-end shell tests (tests/e2e/*.sh,
# tests/hostile/*.sh): a scratch folder, running the binary, one assertion
# per check with its description, the store's state, and the closing
# "N passed, M failed" line. Sourced, not run:
#     . "$(dirname "$0")/../lib.sh"
# The sourcing script sets BIN (the binary) before it calls run.
#
# Variables a script may set before a helper uses them:
#   RUN_TAIL    an array appended to every run (depth_test.sh: --db "$DB")
#   STORE_STATE the function expect_bad compares before and after (default
#               state, the SQL dump; cli_test.sh uses snapshot, the listing)
#   HAVE_SQLITE3 0 makes integrity_ok a no-op (default: whether sqlite3 is
#               installed)
# and a function cleanup_hook, run at exit before the scratch folder goes.

PASS=0
FAIL=0
KNOWN=0
RC=0
CASE=""
RUN_TAIL=()
STORE_STATE=state
HAVE_SQLITE3=0
command -v sqlite3 >/dev/null 2>&1 && HAVE_SQLITE3=1

# need TOOL...: stops the script as one failure when a tool is missing.
need() {
    local name tool
    name=$(basename "$0" .sh)
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "$name: $tool is required" >&2
            echo "0 passed, 1 failed"
            exit 1
        fi
    done
}

# make_work PREFIX: a scratch folder $WORK, removed at exit (after
# cleanup_hook, when the script defines one); $OUT, $ERR and the store $DB
# in it, and MAPSOLVE_DB unset so that only --db (or the script) picks one.
make_work() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/mapsolve-$1.XXXXXX") || exit 1
    OUT=$WORK/stdout
    ERR=$WORK/stderr
    DB=$WORK/main.db
    unset MAPSOLVE_DB
    trap 'lib_cleanup' EXIT
}
lib_cleanup() {
    if declare -F cleanup_hook >/dev/null; then cleanup_hook; fi
    rm -rf "$WORK"
}

# run ARGS...: runs the binary; sets RC, stdout in $OUT, stderr in $ERR.
run() {
    "$BIN" "$@" ${RUN_TAIL[@]+"${RUN_TAIL[@]}"} >"$OUT" 2>"$ERR"
    RC=$?
}

# check DESCRIPTION COMMAND...: one assertion on the last run; a failure
# prints the case, the description and what the last run left.
check() {
    local desc=$1
    shift
    if "$@"; then
        PASS=$((PASS + 1))
    else
        FAIL=$((FAIL + 1))
        {
            echo "FAIL [$CASE] $desc"
            echo "  exit status: $RC"
            [ -e "$OUT" ] && echo "  stdout: $(head -c 800 "$OUT")"
            [ -e "$ERR" ] && echo "  stderr: $(head -c 600 "$ERR")"
        } >&2
    fi
    return 0
}

# known DESCRIPTION COMMAND...: a check that fails because of a reported bug
# in code this suite does not own; a failure is listed, not counted, and a
# pass says the bug is fixed (turn it into a check).
known() {
    local desc=$1
    shift
    if "$@"; then
        echo "FIXED? [$CASE] $desc now holds: make it a check" >&2
        PASS=$((PASS + 1))
    else
        KNOWN=$((KNOWN + 1))
        echo "KNOWN [$CASE] $desc" >&2
    fi
    return 0
}

rc_is() { [ "$RC" -eq "$1" ]; }
rc_in() {
    local c
    for c in "$@"; do [ "$RC" -eq "$c" ] && return 0; done
    return 1
}
no_crash() { [ "$RC" -ge 0 ] && [ "$RC" -le 5 ]; }
err_has() { grep -qF -- "$1" "$ERR"; }
out_has() { grep -qF -- "$1" "$OUT"; }
out_empty() { [ ! -s "$OUT" ]; }
err_empty() { [ ! -s "$ERR" ]; }
err_starts() { head -n 1 "$ERR" | grep -q '^mapsolve: '; }

# jqt JQ-ARGS...: jq's verdict only (with -e: the last output is true).
jqt() { jq "$@" >/dev/null 2>&1; }
# jqe JQ-ARGS...: jq -e with the value discarded (jq's errors still shown).
jqe() { jq -e "$@" >/dev/null; }
# jqo [jq options...] FILTER, or jqo FILTER [jq options...]: jq -e on the
# last stdout (true → success).
jqo() {
    local f
    if [ "${1#--}" != "$1" ]; then
        f=${*: -1}
        set -- "${@:1:$#-1}"
    else
        f=$1
        shift
    fi
    jq -e "$@" "$f" "$OUT" >/dev/null 2>&1
}

# state DB: the store's SQL dump (every row of every table) and
# user_version, hashed; "absent" when there is no file.
state() {
    if [ -e "$1" ]; then
        { sqlite3 "$1" .dump 'PRAGMA user_version' 2>&1; } | sha256sum
    else
        echo absent
    fi
}
# snapshot DB: the store's listing as the binary prints it (no sqlite3).
snapshot() { "$BIN" datasets --json --db "$1" 2>/dev/null; }
# integrity_ok DB: PRAGMA integrity_check says ok (true without sqlite3 or
# without a file).
integrity_ok() {
    [ "$HAVE_SQLITE3" -eq 0 ] || [ ! -e "$1" ] ||
        [ "$(sqlite3 "$1" 'PRAGMA integrity_check' 2>&1)" = "ok" ]
}
# fk_ok DB: PRAGMA foreign_key_check finds nothing (needs sqlite3).
fk_ok() { [ -z "$(sqlite3 "$1" 'PRAGMA foreign_key_check' 2>&1)" ]; }
file_sum() { sha256sum <"$1"; }

# expect_bad CODE "FRAGMENT|..." ARGS...: the command fails with CODE, prints
# nothing on stdout, a "mapsolve: " message naming each fragment, and leaves
# $DB unchanged ($STORE_STATE before and after) with a clean integrity check.
expect_bad() {
    local code=$1 frags=$2
    shift 2
    local before after
    before=$("$STORE_STATE" "$DB")
    run "$@" --db "$DB"
    after=$("$STORE_STATE" "$DB")
    check "exit status $code" rc_is "$code"
    check "nothing on stdout" out_empty
    check "message starts with 'mapsolve: '" err_starts
    local IFS='|' f
    for f in $frags; do
        check "stderr names '$f'" err_has "$f"
    done
    check "store unchanged" [ "$before" = "$after" ]
    check "store integrity" integrity_ok "$DB"
}

# finish: the closing line, and the exit status (0 when nothing failed).
finish() {
    [ "$KNOWN" -gt 0 ] && echo "($KNOWN known bugs, reported, not counted)" >&2
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" -eq 0 ]
    exit
}

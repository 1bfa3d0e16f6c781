#!/usr/bin/env bash
# crash_test.sh — crash safety of the store: mapsolve killed with SIGKILL in
# the middle of a large ingest (while it reads the file, early and late while
# it writes the transaction, and while it replaces a dataset) leaves a
# database that passes PRAGMA integrity_check and foreign_key_check, holds no
# partial dataset, and has every earlier dataset intact (the same SQL dump of
# every table, the same solve answer); the store then takes the same ingest
# to completion. And, with WAL, commands that read (solve, describe,
# datasets) work while an ingest writes, and see the store as it was.
#
# No kill point depends on the machine's speed: the read-phase kill falls
# while the ingest waits on a FIFO the test holds open; in the write phase
# the ingest stops itself (SIGSTOP, from the test's LD_PRELOAD module
# hold_sql) just before a chosen statement of its write transaction: the
# fifth matrix chunk's INSERT (early) or the COMMIT (late, every row
# written). The test waits until the kernel reports it stopped, and then
# kills it with SIGKILL, or runs the reads against it and lets it go with
# SIGCONT. There are no retries and no polling of file sizes.
#
# Environment: MAPSOLVE_BIN (the binary), MAPSOLVE_HOLD_LIB (the hold_sql
# module). Needs jq and sqlite3. Prints
# "N passed, M failed" last.
set -u

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN to the mapsolve binary}
HOLD_LIB=${MAPSOLVE_HOLD_LIB:?set MAPSOLVE_HOLD_LIB to the hold_sql module}
. "$(dirname "$0")/../lib.sh"
need jq sqlite3 sha256sum awk
make_work crash
BGPID=
cleanup_hook() { [ -n "$BGPID" ] && kill -9 "$BGPID" 2>/dev/null; }

wal_size() { stat -c %s "$DB-wal" 2>/dev/null || echo 0; }

# big FILE ROWS: a CSV with a prompt column and four values.
big() {
    awk -v n="$2" 'BEGIN {
        print "prompt,a,b,c,d"
        srand(7)
        for (i = 0; i < n; i++)
            printf "p%d,%.6f,%.6f,%.6f,%d\n", i % 997, rand(), 2 * rand(), rand() - 0.5, i % 7
    }' >"$1"
}

# The store's earlier datasets: two small ones, with their answers.
CASE=setup
printf 'a,b\n1,2\n3,1\n2,5\n4,4\n0,3\n' >"$WORK/first.csv"
printf 'x,y,z\n0.5,1,2\n1.5,0,3\n1,2,1\n2,1,0\n' >"$WORK/second.csv"
run ingest "$WORK/first.csv" --name first --db "$DB"
check "first dataset" rc_is 0
run ingest "$WORK/second.csv" --name second --db "$DB"
check "second dataset" rc_is 0
run solve first --palette a=q70,b=mean --json --db "$DB"
check "first solves" rc_is 0
cp "$OUT" "$WORK/first-solve.json"
run datasets --json --db "$DB"
jq -c '[.[] | {name, n, m, values, hash}]' "$OUT" >"$WORK/listing.json"
BASE_STATE=$(state "$DB")

# intact: the store after a kill is the store before it.
intact() {
    check "integrity_check ok" integrity_ok "$DB"
    check "foreign_key_check clean" fk_ok "$DB"
    check "no partial dataset: the same SQL dump as before" [ "$(state "$DB")" = "$1" ]
    run datasets --json --db "$DB"
    check "the same listing" jqo '[.[] | {name, n, m, values, hash}] == $l[0]' --slurpfile l "$2"
    run solve first --palette a=q70,b=mean --json --db "$DB"
    check "first: the same answer" jqo '. == $s[0]' --slurpfile s "$WORK/first-solve.json"
}

proc_state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null; }
# still_stopped: the background ingest is stopped.
still_stopped() { [ "$(proc_state "$BGPID")" = T ]; }
# kill_bg: the background process (BGPID) killed with SIGKILL and reaped;
# its exit status in RC.
kill_bg() {
    kill -9 "$BGPID" 2>/dev/null
    wait "$BGPID" 2>/dev/null
    RC=$?
    BGPID=
}
listing() { "$BIN" datasets --json --db "$DB" 2>/dev/null | jq -c '[.[] | {name, n, m, values, hash}]'; }

# held SQL NTH ARGS...: starts `mapsolve ARGS...` in the background (BGPID)
# with hold_sql preloaded, which stops it just before the NTH statement
# whose text starts with SQL, and waits until the kernel reports it stopped
# (returns 0) or it has exited without reaching that statement (returns 1).
# The wait is on an event, not a time: the meson timeout bounds a hang.
held() {
    local sql=$1 nth=$2
    shift 2
    # ASan wants its runtime first in the library list; the preloaded module
    # comes before it in the sanitizer build.
    MAPSOLVE_HOLD_SQL=$sql MAPSOLVE_HOLD_NTH=$nth LD_PRELOAD=$HOLD_LIB \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        "$BIN" "$@" >"$WORK/bg.out" 2>"$WORK/bg.err" &
    BGPID=$!
    while kill -0 "$BGPID" 2>/dev/null; do
        [ "$(proc_state "$BGPID")" = T ] && return 0
        sleep 0.01
    done
    return 1
}

# stop_at SQL NTH ARGS...: an ingest stopped just before its NTH statement
# starting with SQL (held), checked to be stopped with its write transaction
# open: rows in the -wal file, the listing unchanged.
stop_at() {
    sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null 2>&1
    local before stopped=0
    before=$(listing)
    held "$@" && stopped=1
    check "the ingest stopped before $1 (#$2)" [ "$stopped" -eq 1 ]
    check "its transaction is open: rows in the -wal file" [ "$(wal_size)" -gt 0 ]
    check "none committed: the listing is unchanged" [ "$(listing)" = "$before" ]
}

# kill_at SQL NTH ARGS...: stop_at, then killed there with SIGKILL.
kill_at() {
    stop_at "$@"
    kill_bg
    check "killed there (exit 137)" rc_is 137
}

# Killed while reading: the ingest reads from a FIFO that the test holds
# open, so it cannot have seen the end of its input, let alone written: the
# kill certainly falls while it reads. Writing 1 MB into the FIFO returns
# only once the ingest has taken all but a pipe buffer of it.
ROWS=1000000
big "$WORK/big.csv" $ROWS
CASE="kill while reading (from a FIFO held open)"
rm -f "$WORK/in.csv"
mkfifo "$WORK/in.csv"
exec 9<>"$WORK/in.csv"
"$BIN" ingest "$WORK/in.csv" --name big --prompt-column prompt --db "$DB" >"$OUT" 2>"$ERR" &
BGPID=$!
head -c 1000000 "$WORK/big.csv" >&9
still=0
kill -0 "$BGPID" 2>/dev/null && still=1
kill_bg
exec 9>&-
rm -f "$WORK/in.csv"
check "the ingest was still reading when killed" [ "$still" -eq 1 ]
check "killed there (exit 137)" rc_is 137
intact "$BASE_STATE" "$WORK/listing.json"

# Four chunks of 2 MB are more than SQLite's page cache (2 MB by default)
# holds, so some of them are certainly in the -wal file.
CASE="kill while writing, early (before the fifth matrix chunk)"
kill_at "INSERT INTO matrix_chunk" 5 ingest "$WORK/big.csv" --name big --prompt-column prompt --db "$DB"
intact "$BASE_STATE" "$WORK/listing.json"
CASE="kill while writing, late (before the COMMIT)"
kill_at COMMIT 1 ingest "$WORK/big.csv" --name big --prompt-column prompt --db "$DB"
intact "$BASE_STATE" "$WORK/listing.json"

# After the kills the store takes the same ingest, to completion.
CASE="ingest after the kills"
run ingest "$WORK/big.csv" --name big --prompt-column prompt --db "$DB"
check "exit 0" rc_is 0
run datasets --json --db "$DB"
check "big is listed with every row" jqo 'map(.name) == ["big","first","second"] and (.[0].n == $n)' --argjson n "$ROWS"
jq -c '[.[] | {name, n, m, values, hash}]' "$OUT" >"$WORK/listing-big.json"
run describe big --json --db "$DB"
cp "$OUT" "$WORK/big-describe.json"
check "integrity" integrity_ok "$DB"
BIG_STATE=$(state "$DB")

# Killed while replacing big: the old big is intact.
big "$WORK/big2.csv" $((ROWS + 1))
CASE="kill while replacing"
kill_at COMMIT 1 ingest "$WORK/big2.csv" --name big --prompt-column prompt --replace --db "$DB"
intact "$BIG_STATE" "$WORK/listing-big.json"
run describe big --json --db "$DB"
check "big: the same statistics as before the kill" jqo '. == $d[0]' --slurpfile d "$WORK/big-describe.json"

# WAL: reads while an ingest writes. They neither wait for the writer nor
# see its rows. The overlap is certain: the ingest stops itself just before
# its COMMIT (every row of big2 written, none committed), the reads run
# against it, and only then is it let go with SIGCONT.
CASE="read while writing"
stop_at COMMIT 1 ingest "$WORK/big2.csv" --name big2 --prompt-column prompt --db "$DB"
run solve first --palette a=q70,b=mean --json --db "$DB"
check "solve while an ingest writes: exit 0" rc_is 0
check "solve while an ingest writes: the same answer" jqo '. == $s[0]' --slurpfile s "$WORK/first-solve.json"
run datasets --json --db "$DB"
check "datasets while an ingest writes: exit 0" rc_is 0
check "datasets while an ingest writes: no partial big2" jqo '[.[] | {name, n, m, values, hash}] == $l[0]' --slurpfile l "$WORK/listing-big.json"
run describe second --json --db "$DB"
check "describe while an ingest writes: exit 0" rc_is 0
check "the reads ran while the ingest was still in its transaction" still_stopped
kill -CONT "$BGPID" 2>/dev/null
wait "$BGPID"
bg=$?
BGPID=
check "the ingest then completes: exit 0" [ "$bg" -eq 0 ]
run datasets --json --db "$DB"
check "big2 is listed whole" jqo 'map(.name) == ["big","big2","first","second"] and (map(select(.name == "big2")) | .[0].n == $n)' --argjson n $((ROWS + 1))
check "integrity at the end" integrity_ok "$DB"

# A stored sweep killed with SIGKILL: only whole committed batches remain,
# the sweep stays incomplete, --resume finishes it, and the result equals
# an uninterrupted sweep.
CASE="kill a stored sweep"
awk 'BEGIN { srand(11); print "p,q,r"; for (i = 0; i < 20000; i++) printf "%.6f,%.6f,%.6f\n", rand(), rand() * rand(), -log(rand() + 1e-9) }' >"$WORK/sw.csv"
run ingest "$WORK/sw.csv" --name sw --db "$DB"
check "sweep dataset" rc_is 0
# The sweep writes into a FIFO that the test reads 600 lines from and then
# leaves alone: by then at least two batches of 256 rows are committed (a
# batch is stored before the rows after it are written), and 4,000 rows
# (about 1 MB) cannot pass the pipe's 64 KiB, so the sweep is certainly
# mid-way when it is killed, whatever the machine's speed.
mkfifo "$WORK/sw1.fifo"
"$BIN" sweep sw --random 4000 --values p,q,r --store --threads 1 --db "$DB" >"$WORK/sw1.fifo" 2>/dev/null &
BGPID=$!
exec 8<"$WORK/sw1.fifo"
for _ in $(seq 1 600); do
    IFS= read -r _ <&8 || break
done
kill_bg
exec 8<&-
check "integrity after the kill" integrity_ok "$DB"
run sweeps sw --json --db "$DB"
check "the killed sweep is listed, incomplete, with rows 0..k-1 only" \
    jqo 'length == 1 and .[0].complete == "no" and .[0].rows > 0 and .[0].rows < 4000'
stored=$(sqlite3 "$DB" 'SELECT count(*), coalesce(max(row), -1) FROM sweep_row' 2>/dev/null)
check "stored rows are contiguous from 0" [ "${stored%%|*}" -eq $((${stored##*|} + 1)) ]
run datasets --json --db "$DB"
check "earlier datasets intact" jqo 'map(.name) | index("first") != null and index("second") != null'

run sweep --resume 1 --db "$DB"
check "resume: exit 0" rc_is 0
run export sw --sweep 1 --db "$DB"
cp "$OUT" "$WORK/sw-resumed.csv"
run sweep sw --random 4000 --values p,q,r --threads 1 --db "$DB"
check "resumed sweep = uninterrupted sweep" cmp -s "$OUT" "$WORK/sw-resumed.csv"
check "integrity at the end of the sweep case" integrity_ok "$DB"

finish

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
# while the ingest waits on a FIFO the test holds open; the write-phase kills
# freeze the ingest with SIGSTOP once the database's -wal file has grown past
# the point, check that it is stopped and has not committed, and only then
# SIGKILL it (should it have committed between the check and the signal, the
# case is run again with a larger file). The reads during a write run
# against an ingest frozen the same way.
#
# Environment: MAPSOLVE_BIN (the binary). Needs jq and sqlite3. Prints
# "N passed, M failed" last.
set -u

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN to the mapsolve binary}
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
listing() { "$BIN" datasets --json --db "$DB" 2>/dev/null | jq -c '[.[] | {name, n, m, values, hash}]'; }

# stop_now PID: SIGSTOP, then waits (bounded by count, not time) until the
# kernel reports the process stopped. Returns 0 when it is.
stop_now() {
    kill -STOP "$1" 2>/dev/null || return 1
    for _ in $(seq 1 500); do
        [ "$(proc_state "$1")" = T ] && return 0
        sleep 0.01
    done
    return 1
}

# kill_when wal:BYTES ARGS...: starts `mapsolve ARGS...` (an ingest) and kills
# it inside its write transaction. Once the -wal file has grown past BYTES
# the ingest is frozen with SIGSTOP; if it is then stopped, has written past
# BYTES and has not committed (the listing is the one from before it
# started), it is SIGKILLed there: the kill point is certain, whatever the
# machine's speed. Otherwise (it committed between the check and the
# signal) it is let go to finish. Sets KILLED=1 when it was killed.
KILLED=0
kill_when() {
    local what=$1
    shift
    local bytes=${what#wal:}
    KILLED=0
    # A -wal file left by an earlier kill would look like progress.
    sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null 2>&1
    local before
    before=$(listing)
    "$BIN" "$@" >"$OUT" 2>"$ERR" &
    BGPID=$!
    local limit=$((SECONDS + 120))
    while kill -0 "$BGPID" 2>/dev/null && [ "$(wal_size)" -le "$bytes" ] && [ $SECONDS -lt $limit ]; do
        sleep 0.01
    done
    if stop_now "$BGPID" && [ "$(wal_size)" -gt "$bytes" ] && [ "$(listing)" = "$before" ]; then
        kill -9 "$BGPID" 2>/dev/null
        KILLED=1
    else
        kill -CONT "$BGPID" 2>/dev/null
    fi
    wait "$BGPID" 2>/dev/null
    RC=$?
    BGPID=
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
kill -9 "$BGPID" 2>/dev/null
wait "$BGPID" 2>/dev/null
RC=$?
BGPID=
exec 9>&-
rm -f "$WORK/in.csv"
check "the ingest was still reading when killed (exit 137)" [ "$still" -eq 1 ] && [ "$RC" -eq 137 ]
intact "$BASE_STATE" "$WORK/listing.json"

for point in 4000000 24000000; do
    for attempt in 1 2 3; do
        CASE="kill while writing, past $point bytes of WAL ($ROWS rows)"
        kill_when "wal:$point" ingest "$WORK/big.csv" --name big --prompt-column prompt --db "$DB"
        [ "$KILLED" -eq 1 ] && break
        run remove big --db "$DB"
        ROWS=$((ROWS * 2))
        big "$WORK/big.csv" $ROWS
    done
    check "the ingest was killed while writing" [ "$KILLED" -eq 1 ]
    intact "$BASE_STATE" "$WORK/listing.json"
done

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
kill_when "wal:8000000" ingest "$WORK/big2.csv" --name big --prompt-column prompt --replace --db "$DB"
check "the replacing ingest was killed while writing" [ "$KILLED" -eq 1 ]
intact "$BIG_STATE" "$WORK/listing-big.json"
run describe big --json --db "$DB"
check "big: the same statistics as before the kill" jqo '. == $d[0]' --slurpfile d "$WORK/big-describe.json"

# WAL: reads while an ingest writes. They neither wait for the writer nor
# see its rows. The overlap is made certain, not likely: once the ingest's
# write transaction has spilled 8 MB into the -wal file it is frozen with
# SIGSTOP, the reads run against the frozen, uncommitted transaction, and
# only then is it let go with SIGCONT. Before the reads the test checks that
# the writer is stopped and has not committed (no big2 in the listing); if
# it committed between the -wal check and the signal, the case is run again
# under another name (the check itself, not the timing, decides).
CASE="read while writing"
frozen=0
for attempt in 1 2 3; do
    name=big2
    [ "$attempt" -gt 1 ] && name=big2_$attempt
    sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null 2>&1
    "$BIN" ingest "$WORK/big2.csv" --name "$name" --prompt-column prompt --db "$DB" >"$WORK/bg.out" 2>"$WORK/bg.err" &
    BGPID=$!
    limit=$((SECONDS + 120))
    while kill -0 "$BGPID" 2>/dev/null && [ "$(wal_size)" -le 8000000 ] && [ $SECONDS -lt $limit ]; do
        sleep 0.01
    done
    kill -STOP "$BGPID" 2>/dev/null
    # SIGSTOP is asynchronous: wait (bounded by count, not time) until the
    # kernel reports the process stopped.
    for _ in $(seq 1 500); do
        [ "$(proc_state "$BGPID")" = T ] && break
        sleep 0.01
    done
    if [ "$(proc_state "$BGPID")" = T ] && [ "$(wal_size)" -gt 8000000 ]; then
        run datasets --json --db "$DB"
        if jqo '[.[] | {name, n, m, values, hash}] == $l[0]' --slurpfile l "$WORK/listing-big.json"; then
            frozen=1
            break
        fi
    fi
    # Missed: the ingest committed (or ended) before it was stopped.
    kill -CONT "$BGPID" 2>/dev/null
    wait "$BGPID" 2>/dev/null
    BGPID=
    run remove "$name" --db "$DB"
done
check "the ingest was frozen inside its write transaction" [ "$frozen" -eq 1 ]
run solve first --palette a=q70,b=mean --json --db "$DB"
check "solve while an ingest writes: exit 0" rc_is 0
check "solve while an ingest writes: the same answer" jqo '. == $s[0]' --slurpfile s "$WORK/first-solve.json"
run datasets --json --db "$DB"
check "datasets while an ingest writes: exit 0" rc_is 0
check "datasets while an ingest writes: no partial big2" jqo '[.[] | {name, n, m, values, hash}] == $l[0]' --slurpfile l "$WORK/listing-big.json"
run describe second --json --db "$DB"
check "describe while an ingest writes: exit 0" rc_is 0
check "the reads ran while the ingest was still in its transaction" [ -n "$BGPID" ] && [ "$(proc_state "$BGPID")" = T ]
bg=1
if [ -n "$BGPID" ]; then
    kill -CONT "$BGPID" 2>/dev/null
    wait "$BGPID"
    bg=$?
    BGPID=
fi
check "the ingest then completes: exit 0" [ "$bg" -eq 0 ]
run datasets --json --db "$DB"
check "$name is listed whole" jqo 'map(.name) == (["big",$nm,"first","second"] | sort) and (map(select(.name == $nm)) | .[0].n == $n)' --arg nm "$name" --argjson n $((ROWS + 1))
check "integrity at the end" integrity_ok "$DB"
[ "$name" = big2 ] || run remove "$name" --db "$DB"

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
kill -9 "$BGPID" 2>/dev/null
exec 8<&-
wait "$BGPID" 2>/dev/null
BGPID=
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

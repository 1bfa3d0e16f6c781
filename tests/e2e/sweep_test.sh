#!/usr/bin/env bash
# sweep_test.sh — end-to-end tests of `mapsolve sweep`, `sweeps` and
# `export` on the MAP paper's real samples: grid order, determinism across
# thread counts, agreement with single solves, palettes from standard input,
# JSON Lines, interruption by SIGINT keeping every complete row, resume
# completing exactly the missing rows, export round trips, bad arguments;
# the stored request (JSON) and sweeps stored by schema version 3 (command
# line only) still listing, exporting and resuming.
#
# Environment: MAPSOLVE_BIN, MAP_SHARED. Needs jq; sqlite3 for the request
# cases (skipped, and said so, without it). Prints "N passed, M
# failed" last and exits non-zero on any failure.
set -u
BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN}
SHARED=${MAP_SHARED:?set MAP_SHARED}
OPT_CSV=$SHARED/datasets/map-opt1.3b-hh.csv
V6=humor,gpt2-helpful,gpt2-harmless,diversity,coherence,perplexity
. "$(dirname "$0")/../lib.sh"
make_work sweep
export MAPSOLVE_DB=$WORK/s.db

CASE=setup
"$BIN" ingest "$OPT_CSV" --name opt --prompt-column prompt --text-columns generated 2>/dev/null
check "ingest" test $? -eq 0

CASE=grid
"$BIN" sweep opt --grid humor=mean:q90:3,gpt2-helpful=q10:q60:4 --threads 1 >"$WORK/g1.csv" 2>"$WORK/err"
check "exit 0" test $? -eq 0
check "header" test "$(head -1 "$WORK/g1.csv")" = \
    "row,status,target_humor,target_gpt2-helpful,lambda_humor,lambda_gpt2-helpful,level_humor,level_gpt2-helpful,kl,ess,margin,iterations"
check "12 rows" test "$(tail -n +2 "$WORK/g1.csv" | wc -l)" -eq 12
# last value fastest: rows 0-3 share humor, gpt2-helpful cycles through 4 values
check "order" awk -F, 'NR>1 { r=$1; h[r]=$3; g[r]=$4 } END { exit !(h[0]==h[3] && h[3]!=h[4] && g[0]==g[4] && g[0]!=g[1]) }' "$WORK/g1.csv"
check "summary on stderr" grep -q "rows in" "$WORK/err"
"$BIN" sweep opt --grid humor=mean:q90:3,gpt2-helpful=q10:q60:4 --threads 2 >"$WORK/g2.csv" 2>/dev/null
check "identical for 1 and 2 threads" cmp -s "$WORK/g1.csv" "$WORK/g2.csv"

CASE=random
"$BIN" sweep opt --random 300 --kind aggressive --values humor,gpt2-helpful,gpt2-harmless --seed 7 --threads 1 >"$WORK/r1.csv" 2>/dev/null
"$BIN" sweep opt --random 300 --kind aggressive --values humor,gpt2-helpful,gpt2-harmless --seed 7 --threads 2 >"$WORK/r2.csv" 2>/dev/null
check "deterministic across threads" cmp -s "$WORK/r1.csv" "$WORK/r2.csv"
"$BIN" sweep opt --random 300 --kind aggressive --values humor,gpt2-helpful,gpt2-harmless --seed 8 >"$WORK/r3.csv" 2>/dev/null
check "another seed, other palettes" bash -c "! cmp -s '$WORK/r1.csv' '$WORK/r3.csv'"
check "both verdicts occur" bash -c "grep -q ',optimal,' '$WORK/r1.csv' && grep -q ',infeasible,' '$WORK/r1.csv'"
# Every 37th row against a single solve of the same palette.
agree=1
while IFS=, read -r row status t1 t2 t3 l1 l2 l3 rest; do
    [ $((row % 37)) -eq 0 ] || continue
    "$BIN" solve opt --palette "humor=$t1,gpt2-helpful=$t2,gpt2-harmless=$t3" --json >"$WORK/one.json" 2>/dev/null
    s=$(jq -r .status "$WORK/one.json")
    [ "$s" = "$status" ] || { agree=0; echo "row $row: sweep $status, solve $s" >&2; }
    if [ "$status" = optimal ]; then
        jq -e --argjson a "$l1" --argjson b "$l2" --argjson c "$l3" \
            '[.values[].lambda] as $l | ([($l[0]-$a),($l[1]-$b),($l[2]-$c)] | map(fabs) | max) <= 1e-7 * ([$l[0],$l[1],$l[2],1e-3] | map(fabs) | max)' \
            "$WORK/one.json" >/dev/null || { agree=0; echo "row $row: lambda differs" >&2; }
    fi
done < <(tail -n +2 "$WORK/r1.csv")
check "verdicts and lambda agree with single solves" test $agree -eq 1

CASE=palettes
printf 'humor,gpt2-helpful\n2.3,-1.0\n2.4,-0.5\n9.9,0\n' | "$BIN" sweep opt --palettes - >"$WORK/p.csv" 2>/dev/null
check "palettes from stdin: exit 0" test $? -eq 0
check "three rows" test "$(tail -n +2 "$WORK/p.csv" | wc -l)" -eq 3
check "the impossible one is infeasible" bash -c "sed -n 4p '$WORK/p.csv' | grep -q '^2,infeasible,'"
printf 'humor,nosuch\n1,2\n' | "$BIN" sweep opt --palettes - >/dev/null 2>"$WORK/err"
check "unknown value in a palettes file: exit 3" test $? -eq 3

CASE=json
"$BIN" sweep opt --lambdas 50 --scale 2 --values humor,gpt2-harmless --json >"$WORK/l.jsonl" 2>/dev/null
check "JSON Lines: 50 objects" test "$(jq -s length "$WORK/l.jsonl")" -eq 50
check "improves is 0 or 1" jqe -s 'all(.[]; .improves == 0 or .improves == 1)' "$WORK/l.jsonl"
check "kl >= 0" jqe -s 'all(.[]; .kl >= 0)' "$WORK/l.jsonl"

CASE=interrupt
# The sweep writes into a FIFO that the test reads two lines from and then
# leaves alone: 12,000 rows (about 2.4 MB) cannot pass a pipe's 64 KiB, so
# when SIGINT comes the sweep has certainly started (a row was read) and
# certainly not finished, whatever the machine's speed. The rest is then
# drained until the interrupted sweep exits.
mkfifo "$WORK/i1.fifo"
"$BIN" sweep opt --random 12000 --values "$V6" --store --threads 2 >"$WORK/i1.fifo" 2>"$WORK/ierr" &
pid=$!
exec 8<"$WORK/i1.fifo"
: >"$WORK/i1.csv"
for _ in 1 2; do
    IFS= read -r line <&8 && printf '%s\n' "$line" >>"$WORK/i1.csv"
done
kill -INT $pid
cat <&8 >>"$WORK/i1.csv"
exec 8<&-
wait $pid
rc=$?
check "interrupted: exit 130" test $rc -eq 130
check "says how to resume" grep -q -- "--resume 1" "$WORK/ierr"
check "every written row complete (24 fields)" awk -F, '{ if (NF != 24) exit 1 }' "$WORK/i1.csv"
check "rows contiguous from 0" awk -F, 'NR>1 { if ($1 != NR-2) exit 1 }' "$WORK/i1.csv"
n_done=$(($(wc -l <"$WORK/i1.csv") - 1))
check "some rows done, not all" test "$n_done" -gt 0 -a "$n_done" -lt 12000
"$BIN" sweeps --json >"$WORK/sw.json"
check "stored rows = written rows, incomplete" jqe --argjson n "$n_done" '.[0].rows == $n and .[0].complete == "no"' "$WORK/sw.json"
"$BIN" sweep --resume 1 --threads 2 >"$WORK/i2.csv" 2>/dev/null
check "resume: exit 0" test $? -eq 0
check "resume writes exactly the missing rows" test "$(($(wc -l <"$WORK/i2.csv") - 1))" -eq $((12000 - n_done))
"$BIN" sweep opt --random 12000 --values "$V6" --threads 2 >"$WORK/full.csv" 2>/dev/null
check "interrupted + resumed = uninterrupted" bash -c "(cat '$WORK/i1.csv'; tail -n +2 '$WORK/i2.csv') | cmp -s - '$WORK/full.csv'"
"$BIN" sweeps --json >"$WORK/sw.json"
check "complete after resume" jqe '.[0].rows == 12000 and .[0].complete == "yes"' "$WORK/sw.json"

CASE=export
"$BIN" export opt --sweep 1 >"$WORK/e.csv"
check "export of the sweep = its output" cmp -s "$WORK/e.csv" "$WORK/full.csv"
"$BIN" export opt --out "$WORK/opt.csv"
"$BIN" ingest "$WORK/opt.csv" --name opt2 --prompt-column prompt --text-columns generated 2>/dev/null
"$BIN" describe opt --json | jq 'del(.dataset)' >"$WORK/d1.json"
"$BIN" describe opt2 --json | jq 'del(.dataset)' >"$WORK/d2.json"
check "exported dataset re-ingests identically" cmp -s "$WORK/d1.json" "$WORK/d2.json"
"$BIN" export opt2 --sweep 1 >/dev/null 2>"$WORK/err"
check "sweep of another dataset: exit 2" test $? -eq 2

CASE=errors
"$BIN" sweep opt --grid humor=0:1:2 --random 5 --values humor >/dev/null 2>"$WORK/err"
check "two sources: exit 2" test $? -eq 2
"$BIN" sweep opt >/dev/null 2>"$WORK/err"
check "no source: exit 2" test $? -eq 2
"$BIN" sweep opt --random 5 --values humor --kind wild >/dev/null 2>"$WORK/err"
check "bad kind: exit 2 naming it" bash -c "test $? -eq 2 && grep -q wild '$WORK/err'"
"$BIN" sweep opt --grid humor=0:1:0 >/dev/null 2>"$WORK/err"
check "bad grid: exit 3" test $? -eq 3
"$BIN" sweep opt --random 5 --values nosuch >/dev/null 2>"$WORK/err"
check "unknown value: exit 3" test $? -eq 3
"$BIN" sweep nosuch --random 5 --values humor >/dev/null 2>"$WORK/err"
check "unknown dataset: exit 2" test $? -eq 2
"$BIN" sweep --resume 99 >/dev/null 2>"$WORK/err"
check "unknown sweep: exit 2" test $? -eq 2
printf 'a,b\n1,2\n3,1\n2,2\n' >"$WORK/flat.csv"
"$BIN" ingest "$WORK/flat.csv" --name flat 2>/dev/null
"$BIN" sweep flat --lambdas 3 --values a,b --normalize prompt >/dev/null 2>"$WORK/err"
check "per prompt without a prompt column: exit 3" test $? -eq 3
check "per prompt without a prompt column: names --normalize" grep -q -- "^mapsolve: --normalize: dataset 'flat' has no prompt column" "$WORK/err"

CASE=margin
# The margin column is there, empty unless asked for (or needed: a palette on
# the boundary); with --margin every palette carries feasible's margin, and
# the verdicts and lambdas are the same either way.
printf 'humor,gpt2-helpful\n2.3,-1.0\n2.4,-0.5\n9.9,0\n' >"$WORK/pm.csv"
"$BIN" sweep opt --palettes "$WORK/pm.csv" --threads 1 >"$WORK/nm.csv" 2>/dev/null
check "no --margin: exit 0" test $? -eq 0
check "no --margin: the column is kept, empty" awk -F, 'NR == 1 { ok = $11 == "margin" } NR > 1 && $11 != "" { ok = 0 } END { exit !ok }' "$WORK/nm.csv"
"$BIN" sweep opt --palettes "$WORK/pm.csv" --threads 1 --margin >"$WORK/wm.csv" 2>/dev/null
check "--margin: exit 0" test $? -eq 0
check "--margin: every row has a number" awk -F, 'NR > 1 && $11 !~ /^-?[0-9]/ { bad = 1 } END { exit bad }' "$WORK/wm.csv"
check "--margin: same verdicts and lambdas" cmp -s <(cut -d, -f1-10 "$WORK/nm.csv") <(cut -d, -f1-10 "$WORK/wm.csv")
agree=1
while IFS=, read -r row status t1 t2 rest; do
    m=$(echo "$rest" | cut -d, -f7)
    "$BIN" feasible opt --palette "humor=$t1,gpt2-helpful=$t2" --json >"$WORK/f.json" 2>/dev/null
    jq -e --argjson m "$m" '.margin == $m' "$WORK/f.json" >/dev/null || { agree=0; echo "row $row: margin $m vs feasible $(jq .margin "$WORK/f.json")" >&2; }
    "$BIN" solve opt --palette "humor=$t1,gpt2-helpful=$t2" --json --margin >"$WORK/s.json" 2>/dev/null
    jq -e --argjson m "$m" '.margin == $m' "$WORK/s.json" >/dev/null || { agree=0; echo "row $row: solve --margin differs" >&2; }
done < <(tail -n +2 "$WORK/wm.csv")
check "--margin: the margins of feasible and solve --margin" test $agree -eq 1
"$BIN" solve opt --palette "humor=2.3,gpt2-helpful=-1.0" --json >"$WORK/s.json" 2>/dev/null
check "solve without --margin: optimal, margin null" jqe '.status == "optimal" and has("margin") and .margin == null' "$WORK/s.json"
"$BIN" sweep opt --palettes "$WORK/pm.csv" --threads 1 --margin --json >"$WORK/wm.jsonl" 2>/dev/null
"$BIN" sweep opt --palettes "$WORK/pm.csv" --threads 1 --json >"$WORK/nm.jsonl" 2>/dev/null
check "JSON Lines: margin null without --margin, a number with it" bash -c "jq -se 'all(has(\"margin\") and .margin == null)' '$WORK/nm.jsonl' >/dev/null && jq -se 'all(.margin | type == \"number\")' '$WORK/wm.jsonl' >/dev/null"


CASE=request
# A stored sweep records its request as JSON; --resume reads it. Rows are
# cut back with sqlite3 to make an unfinished sweep without a race.
if command -v sqlite3 >/dev/null; then
    DB=$MAPSOLVE_DB
    "$BIN" sweep opt --lambdas 200 --scale 2 --values humor,gpt2-harmless --seed 5 --store --threads 1 \
        >"$WORK/q.csv" 2>"$WORK/err"
    check "stored lambdas sweep: exit 0" test $? -eq 0
    qid=$(sed -n 's/^mapsolve: recording sweep \([0-9]*\)$/\1/p' "$WORK/err")
    sqlite3 "$DB" "SELECT request FROM sweep WHERE id = $qid" >"$WORK/q.json"
    check "the request is stored" jqe '.dataset == "opt" and .source == "lambdas" and .count == 200
        and .scale == 2 and .seed == 5 and .values == ["humor", "gpt2-harmless"]
        and .normalize == "global" and .margin == false' "$WORK/q.json"
    cut_back() { sqlite3 "$DB" "DELETE FROM sweep_row WHERE sweep_id = $qid AND row >= 80; UPDATE sweep SET complete = 0 WHERE id = $qid"; }
    cut_back
    "$BIN" sweep --resume "$qid" --threads 2 >"$WORK/q2.csv" 2>/dev/null
    check "resume from the request: exit 0" test $? -eq 0
    check "resume from the request: the missing rows" bash -c "(head -81 '$WORK/q.csv'; tail -n +2 '$WORK/q2.csv') | cmp -s - '$WORK/q.csv'"

    # A broken request is refused, naming the field.
    cut_back
    sqlite3 "$DB" "UPDATE sweep SET request = '{\"dataset\":\"opt\",\"source\":\"grid\"}' WHERE id = $qid"
    "$BIN" sweep --resume "$qid" >/dev/null 2>"$WORK/err"
    rc=$?
    check "broken request: refused" test $rc -ne 0 -a $rc -ne 130
    check "broken request: names the field" grep -q "stored request: field 'grid'" "$WORK/err"

    # The same sweep as schema version 3 stored it: no request column, the
    # command line only (every sweep of this database becomes so).
    sqlite3 "$DB" "ALTER TABLE sweep DROP COLUMN request; PRAGMA user_version = 3"
    "$BIN" sweeps --json >"$WORK/sw.json"
    check "v3 sweep listed (read-only, as it is)" jqe --argjson id "$qid" \
        'any(.[]; .id == $id and .rows == 80 and .total_rows == 200 and .complete == "no"
             and (.command | startswith("sweep opt --lambdas 200")))' "$WORK/sw.json"
    check "listing did not migrate" test "$(sqlite3 "$DB" 'PRAGMA user_version')" -eq 3
    "$BIN" export opt --sweep "$qid" >"$WORK/qe.csv" 2>/dev/null
    check "v3 sweep exports its rows" bash -c "head -81 '$WORK/q.csv' | cmp -s - '$WORK/qe.csv'"
    "$BIN" sweep --resume "$qid" --threads 2 >"$WORK/q3.csv" 2>/dev/null
    check "v3 sweep resumes: exit 0" test $? -eq 0
    check "v3 sweep resumes: the missing rows" bash -c "(head -81 '$WORK/q.csv'; tail -n +2 '$WORK/q3.csv') | cmp -s - '$WORK/q.csv'"
    check "migrated to version 4" test "$(sqlite3 "$DB" 'PRAGMA user_version')" -eq 4
    sqlite3 "$DB" "SELECT request FROM sweep WHERE id = $qid" >"$WORK/q3.json"
    check "its command line converted once into the same request" cmp -s "$WORK/q.json" "$WORK/q3.json"
    check "the older sweep keeps no request" test -z "$(sqlite3 "$DB" 'SELECT request FROM sweep WHERE id = 1')"
    "$BIN" export opt --sweep "$qid" >"$WORK/qe.csv" 2>/dev/null
    check "export after resume = the uninterrupted sweep" cmp -s "$WORK/qe.csv" "$WORK/q.csv"
else
    echo "sweep_test.sh: sqlite3 not installed: request cases skipped" >&2
fi

finish

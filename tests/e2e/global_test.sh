#!/usr/bin/env bash
# global_test.sh — end-to-end tests of the global options given before the
# command: `mapsolve --db PATH CMD ...` and `mapsolve --json CMD ...` give
# the same output and exit status as the options after the command, for
# several commands; an option before the command that the command does not
# take, an unknown option and a --db without its value are usage errors
# (exit 2) naming the option. Also: --out '-' is standard output for every
# table command, and a --out that cannot be written is reported.
#
# Environment: MAPSOLVE_BIN. Prints "N passed, M failed" last and exits
# non-zero on any failure.
set -u
BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN}
. "$(dirname "$0")/../lib.sh"
make_work global
cd "$WORK" || exit 1

# run_n ARGS...: runs the binary, numbered (so that two runs can be compared):
# stdout in $WORK/out.N, stderr in $WORK/err.N, exit status in RC_N.
N=0
run_n() {
    N=$((N + 1))
    "$BIN" "$@" >"$WORK/out.$N" 2>"$WORK/err.$N"
    eval "RC_$N=$?"
}
rc() { eval "echo \$RC_$1"; }
# same A B: runs A and B give identical stdout and exit status.
same() { cmp -s "$WORK/out.$1" "$WORK/out.$2" && [ "$(rc "$1")" = "$(rc "$2")" ]; }

cat >"$WORK/d.csv" <<'CSV'
prompt,a,b
p1,0.1,0.9
p1,0.4,0.2
p2,0.8,0.5
p2,0.3,0.7
p3,0.6,0.1
p3,0.9,0.4
CSV
DB=$WORK/g.db

CASE=ingest
run_n --db "$DB" ingest "$WORK/d.csv" --name d --prompt-column prompt
check "ingest with --db before the command: exit 0" test "$(rc $N)" -eq 0
check "the database is the one named" test -f "$DB"
check "no ./mapsolve.db created" test ! -e "$WORK/mapsolve.db"

CASE=datasets
run_n --db "$DB" datasets; a=$N
run_n datasets --db "$DB"; b=$N
check "datasets: before = after" same $a $b
check "datasets lists d" grep -q '^d ' "$WORK/out.$a"
run_n --json --db "$DB" datasets; a=$N
run_n datasets --db "$DB" --json; b=$N
check "datasets --json: before = after" same $a $b
check "datasets --json is JSON" grep -q '"name": *"d"' "$WORK/out.$a"
run_n --db="$DB" datasets --json; c=$N
check "--db=PATH before the command" same $a $c

CASE=describe
run_n --db "$DB" --json describe d; a=$N
run_n describe d --json --db "$DB"; b=$N
check "describe: before = after" same $a $b
check "describe: exit 0" test "$(rc $a)" -eq 0

CASE=solve
run_n --db "$DB" solve d --palette a=0.6; a=$N
run_n solve d --palette a=0.6 --db "$DB"; b=$N
check "solve: before = after" same $a $b
check "solve: exit 0" test "$(rc $a)" -eq 0
run_n --db "$DB" --json solve d --palette a=0.6; a=$N
run_n solve --json d --palette a=0.6 --db "$DB"; b=$N
check "solve --json: before = after" same $a $b
check "solve --json is JSON" grep -q '"status"' "$WORK/out.$a"
run_n --db "$DB" solve d --palette a=5; a=$N
run_n solve d --palette a=5 --db "$DB"; b=$N
check "solve, not attained: before = after (exit 1)" same $a $b
check "solve, not attained: exit 1" test "$(rc $a)" -eq 1

CASE=feasible
run_n --db "$DB" feasible d --palette a=0.6,b=0.5 --json; a=$N
run_n feasible d --palette a=0.6,b=0.5 --json --db "$DB"; b=$N
check "feasible: before = after" same $a $b

CASE=frontier
run_n --db "$DB" frontier d --values a,b --kl 0.1 --points 3; a=$N
run_n frontier d --values a,b --kl 0.1 --points 3 --db "$DB"; b=$N
check "frontier: before = after" same $a $b
check "frontier: exit 0" test "$(rc $a)" -eq 0
run_n frontier d --values a,b --kl 0.1 --points 3 --db "$DB" --out -; c=$N
check "frontier --out -: standard output" same $a $c
check "--out - made no file" test ! -e "$WORK/-"
run_n --db "$DB" frontier d --values a,b --kl 0.1 --points 3 --out "$WORK/f.csv"; c=$N
check "frontier --out FILE: exit 0" test "$(rc $c)" -eq 0
check "frontier --out FILE: the table" cmp -s "$WORK/out.$a" "$WORK/f.csv"
run_n --db "$DB" frontier d --values a,b --kl 0.1 --out "$WORK/no/such/dir/f.csv"; c=$N
check "--out in a missing folder: exit 2" test "$(rc $c)" -eq 2
check "--out in a missing folder: named" grep -q "for --out" "$WORK/err.$c"
if [ -w /dev/full ]; then
    run_n --db "$DB" frontier d --values a,b --kl 0.1 --points 3 --out /dev/full; c=$N
    check "--out that cannot be written: exit 5" test "$(rc $c)" -eq 5
    check "--out that cannot be written: said" grep -q "cannot write" "$WORK/err.$c"
    run_n --db "$DB" export d --out /dev/full; c=$N
    check "export --out that cannot be written: exit 5" test "$(rc $c)" -eq 5
fi

CASE=sweep
run_n --db "$DB" sweep d --grid a=0.3:0.7:3 --threads 1; a=$N
run_n sweep d --grid a=0.3:0.7:3 --threads 1 --db "$DB"; b=$N
check "sweep: before = after" same $a $b
run_n --db "$DB" --json sweeps; a=$N
run_n sweeps --json --db "$DB"; b=$N
check "sweeps: before = after" same $a $b

CASE=export
run_n --db "$DB" export d; a=$N
run_n export d --db "$DB"; b=$N
check "export: before = after" same $a $b
check "export: exit 0" test "$(rc $a)" -eq 0

CASE=remove
cp "$DB" "$WORK/h.db"
run_n --db "$WORK/h.db" remove d
check "remove with --db before: exit 0" test "$(rc $N)" -eq 0
run_n --db "$WORK/h.db" describe d
check "removed from the database named before" test "$(rc $N)" -eq 2

CASE=later-wins
run_n --db "$WORK/none.db" describe d --db "$DB"; a=$N
check "--db after the command overrides the one before" test "$(rc $a)" -eq 0
check "the other database is not created" test ! -e "$WORK/none.db"

CASE=errors
run_n --json remove d --db "$DB"; a=$N
check "--json before a command without it: exit 2" test "$(rc $a)" -eq 2
check "--json before a command without it: named" grep -q "'--json'" "$WORK/err.$a"
check "nothing removed" "$BIN" describe d --db "$DB" >/dev/null 2>&1
run_n --json export d --db "$DB"; a=$N
check "--json before export: exit 2" test "$(rc $a)" -eq 2
run_n --frobnicate datasets --db "$DB"; a=$N
check "unknown option before the command: exit 2" test "$(rc $a)" -eq 2
check "unknown option before the command: named" grep -q "unknown option '--frobnicate'" "$WORK/err.$a"
check "unknown option before the command: nothing on stdout" test ! -s "$WORK/out.$a"
run_n --db; a=$N
check "--db without a value: exit 2" test "$(rc $a)" -eq 2
check "--db without a value: named" grep -q -- "--db" "$WORK/err.$a"
run_n --db "$DB"; a=$N
check "--db without a command: exit 2" test "$(rc $a)" -eq 2
check "--db without a command: usage" grep -q "Usage: mapsolve" "$WORK/err.$a"
run_n --db "$DB" help solve; a=$N
check "--db before help: exit 2" test "$(rc $a)" -eq 2
run_n --db "$DB" frobnicate; a=$N
check "unknown command after --db: exit 2" test "$(rc $a)" -eq 2
check "unknown command after --db: named" grep -q "'frobnicate'" "$WORK/err.$a"
run_n --db "$DB" solve --help; a=$N
check "--db before solve --help: exit 0" test "$(rc $a)" -eq 0
check "--db before solve --help: its usage" grep -q "Usage: mapsolve solve" "$WORK/out.$a"
run_n --help; a=$N
check "--help names the global options" grep -q "mapsolve \[--db PATH\] \[--json\] COMMAND" "$WORK/out.$a"
check "no stray database anywhere" test ! -e "$WORK/mapsolve.db"

finish

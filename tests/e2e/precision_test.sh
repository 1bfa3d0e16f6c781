#!/usr/bin/env bash
# precision_test.sh — end-to-end tests of single-precision datasets
# (ingest --precision single): the answers on the MAP paper's real samples
# agree with the double-precision dataset's, verdicts agree on random
# palettes, export and re-ingest round-trip bit-exactly, describe and
# datasets say the precision, and a bad --precision is refused.
#
# The real samples were float32 numbers to begin with, so their single
# dataset holds the same values; a perturbed copy (every value times
# 1 + 1e-7, written with 17 digits by jq) is not float-exact and checks
# the agreement where rounding to float does change the data.
#
# Environment: MAPSOLVE_BIN (the binary), MAP_SHARED (the shared folder).
# Needs jq; sqlite3 for the BLOB comparison when installed.
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN to the mapsolve binary}
SHARED=${MAP_SHARED:?set MAP_SHARED to the shared folder}
OPT_CSV=$SHARED/datasets/map-opt1.3b-hh.csv
OPT_JSON=$SHARED/datasets/map-opt1.3b-hh.json
. "$(dirname "$0")/../lib.sh"
need jq
make_work prec

# ------------------------------------------------------------------ ingest
CASE=ingest
run ingest "$OPT_CSV" --name d --prompt-column prompt --text-columns generated --db "$DB"
check "double ingest: exit 0" rc_is 0
run ingest "$OPT_CSV" --name s --prompt-column prompt --text-columns generated --precision single --json --db "$DB"
check "single ingest: exit 0" rc_is 0
check "single ingest --json: precision" jqo '.precision == "single" and .n == 2312 and .m == 6'
check "single ingest: stderr says so" err_has "in single precision"
# The perturbed copy: three values, 17 digits, not representable in float.
jq -r '["humor","gpt2-helpful","gpt2-harmless"], (.[] | [.humor, .["gpt2-helpful"], .["gpt2-harmless"]] | map(. * 1.0000001) | map(tostring)) | @csv' \
    "$OPT_JSON" | tr -d '"' >"$WORK/pert.csv"
run ingest "$WORK/pert.csv" --name pd --db "$DB"
check "perturbed double: exit 0" rc_is 0
run ingest "$WORK/pert.csv" --name ps --precision single --db "$DB"
check "perturbed single: exit 0" rc_is 0
if [ "$HAVE_SQLITE3" -eq 1 ]; then
    bytes() { sqlite3 "$DB" "SELECT sum(length(c.data)) FROM matrix_chunk c JOIN dataset d ON d.id = c.dataset_id WHERE d.name = '$1'"; }
    check "single BLOBs hold 4 bytes a value" [ "$(bytes s)" -eq $((2312 * 6 * 4)) ]
    check "double BLOBs hold 8 bytes a value" [ "$(bytes d)" -eq $((2312 * 6 * 8)) ]
    check "perturbed single differs from its double" [ "$(bytes ps)" -eq $((2312 * 3 * 4)) ]
fi

# --------------------------------------------------------- bad --precision
CASE=bad
before=$("$BIN" datasets --json --db "$DB" 2>/dev/null)
run ingest "$OPT_CSV" --name bad --precision half --db "$DB"
check "bad --precision: exit 2" rc_is 2
check "bad --precision: names the option" err_has "--precision"
check "bad --precision: names the value" err_has "'half'"
check "bad --precision: nothing on stdout" out_empty
check "bad --precision: store unchanged" [ "$before" = "$("$BIN" datasets --json --db "$DB" 2>/dev/null)" ]
run ingest "$OPT_CSV" --name bad --precision --db "$DB"
check "--precision without a value: exit 2" rc_is 2

# ------------------------------------------------------- describe, datasets
CASE=describe
run describe s --db "$DB"
check "describe single: exit 0" rc_is 0
check "describe single: last line" [ "$(tail -n 1 "$OUT")" = "precision: single (float32)" ]
run describe d --db "$DB"
check "describe double: no precision line" [ "$(grep -c precision "$OUT")" -eq 0 ]
run describe s --json --db "$DB"
check "describe --json single" jqo '.precision == "single"'
cp "$OUT" "$WORK/s.describe"
run describe d --json --db "$DB"
check "describe --json double" jqo '.precision == "double"'
# The model scores are float32 numbers; diversity (a ratio) is not.
check "float-exact values: the same statistics" jqo '[.values, $s[0].values] | transpose | map(select(.[0].name != "diversity")) | all(.[]; .[0] == .[1])' --slurpfile s "$WORK/s.describe"
check "diversity: the statistics of its floats" jqo '[.values, $s[0].values] | transpose | map(select(.[0].name == "diversity"))[0] | .[0] != .[1] and ((.[0].mean - .[1].mean) | fabs) < 1e-7'  --slurpfile s "$WORK/s.describe"
run describe ps --json --db "$DB"
cp "$OUT" "$WORK/ps.describe"
run describe pd --json --db "$DB"
check "perturbed: statistics within float rounding" jqo '[.values, $s[0].values] | transpose | all(.[]; . as [$a, $b] | ([$a.mean, $a.q50, $a.max, $a.min] | to_entries | all(.value as $v | ([$b.mean, $b.q50, $b.max, $b.min][.key] - $v) | fabs <= 1e-6 * ($v | fabs) + 1e-9)))' --slurpfile s "$WORK/ps.describe"
CASE=datasets
run datasets --json --db "$DB"
check "datasets --json: precision of each" jqo 'map({(.name): .precision}) | add == {"d": "double", "s": "single", "pd": "double", "ps": "single"}'
run datasets --db "$DB"
check "datasets: header unchanged" jq -Rne '[inputs][0] | test("^NAME +N +M +VALUES +SOURCE +CREATED$")' "$OUT"
check "datasets: single ones named below the table" [ "$(tail -n 1 "$OUT")" = "single precision (float32): ps, s" ]

# ------------------------------------------------------------ HHH palettes
CASE=hhh
# λ of the single dataset within 1e-4 relative of the double one's (the
# λ of a value may be 0 on both: then within 1e-4 absolute).
close() { jq -e -n --slurpfile a "$1" --slurpfile b "$2" '[$a[0].values, $b[0].values] | transpose | all(.[]; . as [$x, $y] | ($x.lambda - $y.lambda | fabs) <= 1e-4 * ([($x.lambda | fabs), 1e-300] | max) or ($x.lambda == 0 and $y.lambda == 0))' >/dev/null; }
for pair in "d s" "pd ps"; do
    set -- $pair
    for q in 50 60 70; do
        pal=humor=q$q,gpt2-helpful=q$q,gpt2-harmless=q$q
        run solve "$1" --palette "$pal" --json --db "$DB"
        cp "$OUT" "$WORK/a.json"
        check "$1 q$q: optimal" jqo '.status == "optimal"'
        run solve "$2" --palette "$pal" --json --db "$DB"
        check "$2 q$q: optimal" jqo '.status == "optimal"'
        check "$2 q$q: lambda within 1e-4 of $1's" close "$WORK/a.json" "$OUT"
        # The same numeric targets on both (the q-targets of the single
        # dataset are those of its float values).
        pal=$(jq -r '[.values[] | "\(.name)=\(.target)"] | join(",")' "$WORK/a.json")
        run solve "$2" --palette "$pal" --json --db "$DB"
        check "$2 q$q targets of $1: lambda within 1e-4" close "$WORK/a.json" "$OUT"
    done
done

# ---------------------------------------------------------- random verdicts
CASE=verdicts
for kind in aggressive conservative; do
    "$BIN" sweep pd --random 300 --kind "$kind" --values humor,gpt2-helpful,gpt2-harmless --seed 5 --db "$DB" \
        >"$WORK/r.csv" 2>/dev/null
    # The palettes as explicit numbers (columns target_*), solved on both.
    jq -Rr 'split(",") | .[2:5] | map(sub("^target_"; "")) | join(",")' "$WORK/r.csv" >"$WORK/pal.csv"
    "$BIN" sweep pd --palettes "$WORK/pal.csv" --db "$DB" >"$WORK/vd.csv" 2>/dev/null
    "$BIN" sweep ps --palettes "$WORK/pal.csv" --db "$DB" >"$WORK/vs.csv" 2>/dev/null
    RC=$?
    check "$kind: sweep on single exits 0" rc_is 0
    check "$kind: 300 verdicts" [ "$(cut -d, -f2 "$WORK/vs.csv" | tail -n +2 | wc -l)" -eq 300 ]
    check "$kind: verdicts agree" cmp -s <(cut -d, -f2 "$WORK/vd.csv") <(cut -d, -f2 "$WORK/vs.csv")
    check "$kind: some palettes of each verdict or all one" [ "$(cut -d, -f2 "$WORK/vs.csv" | tail -n +2 | sort -u | wc -l)" -ge 1 ]
done

# ------------------------------------------------- every reader of the matrix
CASE=readers
# humor, gpt2-helpful and gpt2-harmless (and coherence, perplexity) are
# float32 numbers, so every command on them answers the same on d and s,
# to the last digit; only what involves diversity (not float-exact) may
# differ, and is left out of the comparison.
strip() { jq -S 'walk(if type == "object" then del(.diversity, .level_diversity, .dataset) else . end)' "$1"; }
P=humor=q70,gpt2-helpful=q60,gpt2-harmless=q60
P99=humor=q99,gpt2-helpful=q99,gpt2-harmless=q99
while IFS= read -r args; do
    [ -n "$args" ] || continue
    set -f
    # shellcheck disable=SC2086
    set -- $args
    set +f
    cmd=$1
    shift
    "$BIN" "$cmd" d "$@" --json --db "$DB" >"$WORK/rd.json" 2>/dev/null
    rd=$?
    "$BIN" "$cmd" s "$@" --json --db "$DB" >"$WORK/rs.json" 2>/dev/null
    RC=$?
    check "$cmd $*: same exit status" [ "$rd" -eq "$RC" ]
    check "$cmd $*: non-empty" [ -s "$WORK/rs.json" ]
    check "$cmd $*: same answer" cmp -s <(strip "$WORK/rd.json") <(strip "$WORK/rs.json")
done <<EOF_ARGS
solve --palette $P
solve --palette $P --normalize prompt
solve --palette $P --sensitivity --bootstrap 20 --seed 3
solve --palette $P --holdout 0.3 --seed 2
solve --palette $P --method lbfgs
solve --palette $P --margin
feasible --palette $P99
feasible --palette $P99 --normalize prompt
adjust --palette $P99
adjust --palette $P99 --mode greedy --priority gpt2-harmless
frontier --values humor,gpt2-helpful --kl 0.5,1,2 --points 5
frontier --values humor,gpt2-helpful --kl 0.5,1 --points 5 --normalize prompt
region --values humor,gpt2-helpful --points 12 --polygon
region --values humor,gpt2-helpful --points 12 --normalize prompt
EOF_ARGS
"$BIN" sweep d --lambdas 50 --scale 5 --values humor,gpt2-helpful,gpt2-harmless --db "$DB" >"$WORK/ld.csv" 2>/dev/null
"$BIN" sweep s --lambdas 50 --scale 5 --values humor,gpt2-helpful,gpt2-harmless --db "$DB" >"$WORK/ls.csv" 2>/dev/null
check "sweep --lambdas: same rows" cmp -s "$WORK/ld.csv" "$WORK/ls.csv"
"$BIN" sweep d --grid humor=q70:q99:8,gpt2-helpful=q70:q99:8,gpt2-harmless=q70:q99:4 --db "$DB" >"$WORK/gd.csv" 2>/dev/null
"$BIN" sweep s --grid humor=q70:q99:8,gpt2-helpful=q70:q99:8,gpt2-harmless=q70:q99:4 --db "$DB" >"$WORK/gs.csv" 2>/dev/null
check "sweep --grid across the boundary: both verdicts" [ "$(cut -d, -f2 "$WORK/gs.csv" | tail -n +2 | sort -u | wc -l)" -ge 2 ]
check "sweep --grid: same rows" cmp -s "$WORK/gd.csv" "$WORK/gs.csv"

# ------------------------------------------------------ export round trip
CASE=export
run export ps --out "$WORK/ps.csv" --db "$DB"
check "export single: exit 0" rc_is 0
run ingest "$WORK/ps.csv" --name ps2 --precision single --db "$DB"
check "re-ingest single: exit 0" rc_is 0
run export ps2 --out "$WORK/ps2.csv" --db "$DB"
check "second export identical" cmp -s "$WORK/ps.csv" "$WORK/ps2.csv"
check "export prints floats with at most 9 digits" [ "$(tail -n +2 "$WORK/ps.csv" | tr ',' '\n' | tr -d '.-' | sed 's/e.*//; s/^0*//' | awk 'length > 9' | wc -l)" -eq 0 ]
if [ "$HAVE_SQLITE3" -eq 1 ]; then
    blobs() { sqlite3 "$DB" "SELECT hex(c.data) FROM matrix_chunk c JOIN dataset d ON d.id = c.dataset_id WHERE d.name = '$1' ORDER BY c.chunk" | sha256sum; }
    check "re-ingested floats bit-identical" [ "$(blobs ps)" = "$(blobs ps2)" ]
fi
run describe ps2 --json --db "$DB"
check "re-ingested statistics identical" jqo '.values == $s[0].values' --slurpfile s "$WORK/ps.describe"
run export s --out "$WORK/s.csv" --db "$DB"
run ingest "$WORK/s.csv" --name s2 --precision single --prompt-column prompt --text-columns generated --db "$DB"
check "real data re-ingest: exit 0" rc_is 0
run describe s2 --json --db "$DB"
check "real data round trip: statistics identical" jqo '.values == $s[0].values' --slurpfile s "$WORK/s.describe"

finish

#!/usr/bin/env bash
# cli_test.sh — end-to-end tests of the mapsolve binary, run the way a user
# runs it: the MAP paper's real reward samples ($MAP_SHARED/datasets), every
# subcommand, every exit code, and bad input leaving the store unchanged.
#
# Numbers are checked against independent computations done here with jq on
# the raw JSON files (the tilted levels, KL and ESS at the solver's lambda;
# the infeasibility certificate's gap), never against numbers mapsolve
# printed once.
#
# Environment: MAPSOLVE_BIN (the binary), MAP_SHARED (the shared folder).
# Needs jq; uses sqlite3 for an integrity check when it is installed.
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN to the mapsolve binary}
SHARED=${MAP_SHARED:?set MAP_SHARED to the shared folder}
DATA=$SHARED/datasets
OPT_CSV=$DATA/map-opt1.3b-hh.csv
OPT_JSON=$DATA/map-opt1.3b-hh.json
LLAMA_CSV=$DATA/map-llama2chat-hh.csv
LLAMA_JSON=$DATA/map-llama2chat-hh.json
VALUES=humor,gpt2-helpful,gpt2-harmless,diversity,coherence,perplexity

if ! command -v jq >/dev/null 2>&1; then
    echo "cli_test: jq is required (apt-get install jq)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
HAVE_SQLITE3=0
command -v sqlite3 >/dev/null 2>&1 && HAVE_SQLITE3=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mapsolve-e2e.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
OUT=$WORK/stdout
ERR=$WORK/stderr
DB=$WORK/main.db
unset MAPSOLVE_DB

PASS=0
FAIL=0
RC=0
CASE=""

# run ARGS...: runs the binary; sets RC, stdout in $OUT, stderr in $ERR.
run() {
    "$BIN" "$@" >"$OUT" 2>"$ERR"
    RC=$?
}

# check DESCRIPTION COMMAND...: one assertion on the last run.
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
            echo "  stdout: $(head -c 600 "$OUT")"
            echo "  stderr: $(head -c 600 "$ERR")"
        } >&2
    fi
}

rc_is() { [ "$RC" -eq "$1" ]; }
err_has() { grep -qF -- "$1" "$ERR"; }
out_has() { grep -qF -- "$1" "$OUT"; }
out_empty() { [ ! -s "$OUT" ]; }
err_empty() { [ ! -s "$ERR" ]; }
err_starts() { head -n 1 "$ERR" | grep -q '^mapsolve: '; }
# jqt JQ-ARGS...: jq's verdict only (with -e: the last output is true).
jqt() { jq "$@" >/dev/null 2>&1; }
# jqo FILTER [jq args...]: jq -e on the last stdout (true → success).
jqo() {
    local f=$1
    shift
    jq -e "$@" "$f" "$OUT" >/dev/null 2>&1
}

# Store snapshots: the listing and, with sqlite3, the integrity check.
snapshot() { "$BIN" datasets --json --db "$1" 2>/dev/null; }
integrity_ok() {
    [ "$HAVE_SQLITE3" -eq 0 ] || [ ! -e "$1" ] ||
        [ "$(sqlite3 "$1" 'PRAGMA integrity_check' 2>&1)" = "ok" ]
}

# expect_bad CODE "FRAGMENT..." ARGS...: the command must fail with CODE,
# print nothing on stdout, name each fragment on stderr ('|'-separated), and
# leave $DB unchanged (and the integrity check clean).
expect_bad() {
    local code=$1 frags=$2
    shift 2
    local before after
    before=$(snapshot "$DB")
    run "$@" --db "$DB"
    after=$(snapshot "$DB")
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

# ---------------------------------------------------------------- help
CASE=help
for cmd in ingest datasets describe solve remove help; do
    run "$cmd" --help
    check "$cmd --help exits 0" rc_is 0
    check "$cmd --help prints usage on stdout" out_has "Usage: mapsolve"
    check "$cmd --help lists exit codes" out_has "Exit status"
    check "$cmd --help prints nothing on stderr" err_empty
done
for cmd in ingest datasets describe solve remove; do
    run "$cmd" --help
    check "$cmd --help names --db" out_has "--db PATH"
    run help "$cmd"
    check "help $cmd exits 0" rc_is 0
    check "help $cmd prints its usage" out_has "Usage: mapsolve $cmd"
done
run solve --help
check "solve --help shows the tol default" out_has "(default: 1e-10)"
check "solve --help shows the max-iter default" out_has "(default: 100)"
check "solve --help explains qNN" out_has "qNN"
run ingest --help
check "ingest --help lists the reader limits" out_has "--max-field-bytes N"
for args in --help -h help; do
    run $args
    check "mapsolve $args exits 0" rc_is 0
    check "mapsolve $args lists the commands" out_has "solve"
    check "mapsolve $args lists the exit codes" out_has "Exit status"
done
run --version
check "--version exits 0" rc_is 0
check "--version prints the version" jqt -Rne '[inputs] | .[0] | test("^mapsolve [0-9]+\\.[0-9]+\\.[0-9]+$")' "$OUT"
run
check "no arguments: exit 2" rc_is 2
check "no arguments: usage on stderr" err_has "Usage: mapsolve"
check "no arguments: nothing on stdout" out_empty
run frobnicate
check "unknown command: exit 2" rc_is 2
check "unknown command named" err_has "'frobnicate'"
run help frobnicate
check "help of an unknown command: exit 2" rc_is 2

# ---------------------------------------------------------------- ingest
CASE=ingest
run datasets --json --db "$DB"
check "datasets on a missing database: exit 0" rc_is 0
check "datasets on a missing database: empty array" jqo '. == []'
check "listing does not create the database" [ ! -e "$DB" ]

run ingest "$OPT_CSV" --name opt-csv --prompt-column prompt --text-columns generated --db "$DB"
check "opt csv: exit 0" rc_is 0
check "opt csv: nothing on stdout" out_empty
check "opt csv: summary on stderr" err_has "ingested opt-csv: 2312 samples x 6 values (humor, gpt2-helpful, gpt2-harmless, diversity, coherence, perplexity) from $OPT_CSV"

run ingest "$OPT_JSON" --name opt-json --prompt-column prompt --text-columns generated --json --db="$DB"
check "opt json: exit 0" rc_is 0
check "opt json: summary on stderr" err_has "ingested opt-json: 2312 samples x 6 values"
check "opt json: --json object" jqo '.name == "opt-json" and .n == 2312 and .m == 6 and (.values | sort) == (["coherence","diversity","gpt2-harmless","gpt2-helpful","humor","perplexity"]) and (.hash | test("^[0-9a-f]{32}$")) and .source == $src and .same_content_as == null' --arg src "$OPT_JSON"

run ingest "$LLAMA_CSV" --name llama-csv --prompt-column prompt --text-columns generated --db "$DB"
check "llama csv: exit 0" rc_is 0
check "llama csv: summary" err_has "ingested llama-csv: 2312 samples x 6 values (humor, gpt2-helpful, gpt2-harmless, diversity, coherence, perplexity)"

run ingest "$LLAMA_JSON" --name llama-json --values "$VALUES" --prompt-column prompt --text-columns generated --db "$DB"
check "llama json (explicit values, extra column): exit 0" rc_is 0
check "llama json: the six values in the order given" err_has "ingested llama-json: 2312 samples x 6 values (humor, gpt2-helpful, gpt2-harmless, diversity, coherence, perplexity)"

run ingest "$LLAMA_JSON" --name llama-all --prompt-column prompt --text-columns generated --json --db "$DB"
check "llama json without --values keeps 'harmless'" jqo '.m == 7 and (.values | index("harmless")) != null'
run ingest "$LLAMA_JSON" --name llama-again --values humor --db "$DB"
check "same content under another name: exit 0" rc_is 0
check "same content noted on stderr" err_has "already ingested as dataset 'llama-all'"
run remove llama-again --db "$DB"
check "remove: exit 0" rc_is 0
check "remove: nothing on stdout" out_empty
run remove llama-all --db "$DB"
run datasets --json --db "$DB"
check "removed datasets are gone" jqo '[.[].name] == ["llama-csv","llama-json","opt-csv","opt-json"]'
run remove llama-all --db "$DB"
check "remove of an unknown dataset: exit 2" rc_is 2
check "remove of an unknown dataset names it" err_has "'llama-all'"

# Standard input, an explicit format, and $MAPSOLVE_DB.
"$BIN" ingest - --name stdin-csv --values humor,coherence --db "$DB" <"$OPT_CSV" >"$OUT" 2>"$ERR"
RC=$?
check "ingest from stdin: exit 0" rc_is 0
check "ingest from stdin: summary" err_has "ingested stdin-csv: 2312 samples x 2 values (humor, coherence)"
cp "$OPT_JSON" "$WORK/opt.data"
run ingest "$WORK/opt.data" --name fmt-json --format json --values humor --db "$DB"
check "--format json on an unknown extension: exit 0" rc_is 0
MAPSOLVE_DB=$DB "$BIN" datasets --json >"$OUT" 2>"$ERR"
RC=$?
check "\$MAPSOLVE_DB is the default database" jqo '[.[].name] | index("fmt-json") != null'
run remove fmt-json --db "$DB"
run remove stdin-csv --db "$DB"

# Replace.
run ingest "$OPT_CSV" --name opt-csv --prompt-column prompt --text-columns generated --replace --json --db "$DB"
check "--replace: exit 0" rc_is 0
check "--replace: noted" err_has "replaced the previous dataset 'opt-csv'"
check "--replace: reported" jqo '.replaced == true and .n == 2312'

# ---------------------------------------------------------------- datasets
CASE=datasets
run datasets --db "$DB"
check "datasets: exit 0" rc_is 0
check "datasets: header row" jqt -Rne '[inputs][0] | test("^NAME +N +M +VALUES +SOURCE +CREATED$")' "$OUT"
check "datasets: one row per dataset" [ "$(wc -l <"$OUT")" -eq 5 ]
check "datasets: aligned columns" jqt -Rne '[inputs] | map(index(" VALUES") // index(" humor") // index(" perplexity")) | unique | length == 1' "$OUT"
run datasets --json --db "$DB"
check "datasets --json: fields" jqo 'length == 4 and all(.[]; (.name | type) == "string" and .n == 2312 and .m == 6 and (.values | length) == 6 and (.source | type) == "string" and (.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")))'
check "datasets --json: sources" jqo 'map({(.name): .source}) | add | .["opt-csv"] == $a and .["llama-json"] == $b' --arg a "$OPT_CSV" --arg b "$LLAMA_JSON"

# ---------------------------------------------------------------- describe
CASE=describe
for model in opt llama; do
    run describe "$model-csv" --json --db "$DB"
    check "$model: describe csv exit 0" rc_is 0
    check "$model: describe fields" jqo '.n == 2312 and (.values | length) == 6 and all(.values[]; .n == 2312 and .min <= .q10 and .q10 <= .q25 and .q25 <= .q50 and .q50 <= .q75 and .q75 <= .q90 and .q90 <= .max and .sd > 0 and .min <= .mean and .mean <= .max)'
    jq -S '.values | sort_by(.name)' "$OUT" >"$WORK/$model-csv.describe"
    cp "$OUT" "$WORK/$model.describe.json"
    run describe "$model-json" --json --db "$DB"
    jq -S '.values | sort_by(.name)' "$OUT" >"$WORK/$model-json.describe"
    check "$model: describe of the CSV and the JSON are identical" cmp -s "$WORK/$model-csv.describe" "$WORK/$model-json.describe"
    # The mean and min/max against jq over the raw JSON (independent).
    check "$model: means, minima and maxima match the raw JSON" jqt -e -n --slurpfile d "$WORK/$model-csv.describe" --slurpfile raw "$DATA/map-$([ $model = opt ] && echo opt1.3b || echo llama2chat)-hh.json" '
        def abs: if . < 0 then -. else . end;
        all($d[0][]; . as $s | ($raw[0] | map(.[$s.name])) as $col |
            (($col | add) / ($col | length) - $s.mean | abs) <= 1e-12 * ($s.mean | abs) + 1e-15 and
            ($col | min) == $s.min and ($col | max) == $s.max)'
done
run describe opt-csv --db "$DB"
check "describe table: header" jqt -Rne '[inputs][0] | test("^value +n +mean +sd +min +q10 +q25 +q50 +q75 +q90 +max$")' "$OUT"
check "describe table: a row per value" [ "$(wc -l <"$OUT")" -eq 7 ]
run describe nope --db "$DB"
check "describe of an unknown dataset: exit 2" rc_is 2
check "describe of an unknown dataset names it" err_has "'nope'"

# ---------------------------------------------------------------- solve
CASE=solve

# Independent evaluation of the tilt q_lambda over the raw JSON rows: levels
# of every value, log-partition, KL and ESS (max-shifted, double precision).
TILT='
def tilt($lam; $names; $rows):
  [ $rows[] | . as $r | [ $lam | to_entries[] | .value * $r[.key] ] | add ] as $s
  | ($s | max) as $M
  | [ $s[] | . - $M | exp ] as $e
  | ($e | add) as $Z
  | ($M + (($Z / ($rows | length)) | log)) as $logz
  | ( [ $names[] as $v | { ($v): ( [ range(0; $rows | length) as $j | $e[$j] * $rows[$j][$v] ] | add / $Z ) } ] | add ) as $mu
  | { mu: $mu, logz: $logz,
      kl: (([ $lam | to_entries[] | .value * $mu[.key] ] | add) - $logz),
      ess: ($Z * $Z / ([ $e[] | . * . ] | add)) };
def abs: if . < 0 then -. else . end;
'

declare -A KL
for model in opt llama; do
    raw=$DATA/map-$([ $model = opt ] && echo opt1.3b || echo llama2chat)-hh.json
    desc=$WORK/$model.describe.json
    sds=$(jq -c '[.values[] | {(.name): .sd}] | add' "$desc")
    for x in 50 60 70; do
        CASE="solve $model HHH-$x"
        # The percentiles as mapsolve resolves them, then max(mean, q_x).
        run solve "$model-json" --palette "humor=q$x,gpt2-helpful=q$x,gpt2-harmless=q$x" --json --db "$DB"
        qs=$(jq -c '[.values[] | {(.name): .target}] | add' "$OUT")
        spec=$(jq -r -n --argjson q "$qs" --slurpfile d "$desc" '
            ($d[0].values | map({(.name): .mean}) | add) as $mean
            | [ ("humor", "gpt2-helpful", "gpt2-harmless") as $v
                | "\($v)=\([$mean[$v], $q[$v]] | max)" ]
              + [ "diversity=mean", "coherence=mean", "perplexity=mean" ] | join(",")')
        run solve "$model-json" --palette "$spec" --json --db "$DB"
        cp "$OUT" "$WORK/$model-$x.solve.json"
        check "exit 0" rc_is 0
        check "status optimal" jqo '.status == "optimal"'
        check "six values, levels of all six" jqo '(.values | length) == 6 and (.levels | length) == 6'
        check "targets as specified" jqo '(.values[] | select(.name == "diversity") | .spec) == "mean"'
        check "constraints met, lambda >= 0" jqo 'all(.values[]; .lambda >= 0 and .level >= .target - 1e-8 * $sd[.name])' --argjson sd "$sds"
        check "complementary slackness" jqo 'def abs: if . < 0 then -. else . end; all(.values[]; .lambda == 0 or ((.level - .target) | abs) <= 1e-8 * $sd[.name])' --argjson sd "$sds"
        check "inactive values have lambda exactly 0" jqo 'all(.values[]; (.level - .target <= 1e-6 * $sd[.name]) or .lambda == 0)' --argjson sd "$sds"
        check "some value is active" jqo 'any(.values[]; .lambda > 0)'
        check "levels table repeats the values' levels" jqo 'all(.values[] as $v | .levels[$v.name] == $v.level; .)'
        check "KL equals the dual at the optimum" jqo 'def abs: if . < 0 then -. else . end; .kl > 0 and ((.kl - .dual) | abs) <= 1e-9 * (1 + .kl)'
        check "ESS and weights in range" jqo '.ess > 1 and .ess <= .n and .max_weight >= 1 / .n and .max_weight < 1'
        check "diagnostics at tolerance" jqo '.kkt <= 1e-8 and .violation <= 1e-8 and .margin > 0 and .iterations >= 1'
        # Independent: the tilt at the reported lambda over the raw JSON rows.
        lam=$(jq -c '[.values[] | {(.name): .lambda}] | add' "$OUT")
        jq -n --argjson lam "$lam" --argjson names '["humor","gpt2-helpful","gpt2-harmless","diversity","coherence","perplexity"]' \
            --slurpfile raw "$raw" "$TILT"' tilt($lam; $names; $raw[0])' >"$WORK/tilt.json"
        check "levels match an independent evaluation" jqo "$TILT"'all(.levels | to_entries[]; ((.value - $t[0].mu[.key]) | abs) <= 1e-9 * $sd[.key])' --slurpfile t "$WORK/tilt.json" --argjson sd "$sds"
        check "KL and ESS match an independent evaluation" jqo "$TILT"'((.kl - $t[0].kl) | abs) <= 1e-9 * (1 + .kl) and ((.ess - $t[0].ess) | abs) <= 1e-6 * .ess' --slurpfile t "$WORK/tilt.json"
        KL[$model-$x]=$(jq '.kl' "$OUT")
    done
    CASE="solve $model HHH"
    check "KL grows from HHH-50 to HHH-60 to HHH-70" jqt -n -e "${KL[$model-50]} <= ${KL[$model-60]} and ${KL[$model-60]} <= ${KL[$model-70]}"
    # The CSV copy of the same samples gives the same answer.
    spec=$(jq -r '[.values[] | "\(.name)=\(.target)"] | join(",")' "$WORK/$model-70.solve.json")
    run solve "$model-csv" --palette "$spec" --json --db "$DB"
    check "CSV and JSON datasets give the same lambda" jqo '[.values[].lambda] == [$j[0].values[].lambda]' --slurpfile j "$WORK/$model-70.solve.json"

    CASE="solve $model below means"
    run solve "$model-csv" --palette "humor=mean,gpt2-helpful=mean,gpt2-harmless=mean,diversity=mean,coherence=mean,perplexity=mean" --json --db "$DB"
    check "all at the mean: exit 0" rc_is 0
    check "all at the mean: every lambda 0, KL 0" jqo '.status == "optimal" and all(.values[]; .lambda == 0) and .kl == 0 and .ess == .n'
    run solve "$model-csv" --palette "humor=q10,gpt2-helpful=q25,gpt2-harmless=q10,diversity=q10,coherence=q25,perplexity=q10" --json --db "$DB"
    check "all below the mean: every lambda 0" jqo '.status == "optimal" and all(.values[]; .lambda == 0) and .kl == 0'
    check "all below the mean: levels are the means" jqo 'def abs: if . < 0 then -. else . end; [$d[0].values[] as $s | ((.levels[$s.name] - $s.mean) | abs) <= 1e-12 * (1 + ($s.mean | abs))] | all' --slurpfile d "$desc"
done

CASE="solve partial palette"
# Levels of the values outside the palette come from the same tilt.
run solve opt-json --palette "humor=q60,coherence=q55" --json --db "$DB"
check "exit 0" rc_is 0
check "levels of all six values" jqo '.status == "optimal" and (.levels | length) == 6 and (.values | length) == 2'
lam=$(jq -c '[.values[] | {(.name): .lambda}] | add' "$OUT")
jq -n --argjson lam "$lam" --argjson names '["humor","gpt2-helpful","gpt2-harmless","diversity","coherence","perplexity"]' \
    --slurpfile raw "$OPT_JSON" "$TILT"' tilt($lam; $names; $raw[0])' >"$WORK/tilt.json"
sds=$(jq -c '[.values[] | {(.name): .sd}] | add' "$WORK/opt.describe.json")
check "levels outside the palette match an independent evaluation" jqo "$TILT"'all(.levels | to_entries[]; ((.value - $t[0].mu[.key]) | abs) <= 1e-9 * $sd[.key])' --slurpfile t "$WORK/tilt.json" --argjson sd "$sds"
check "the tilt moves values outside the palette" jqo '.levels.diversity != $d' --argjson d "$(jq '.values[] | select(.name == "diversity") | .mean' "$WORK/opt.describe.json")"

CASE="solve human output"
run solve opt-csv --palette "humor=q60,coherence=mean" --db "$DB"
check "exit 0" rc_is 0
check "table header" jqt -Rne '[inputs][0] | test("^value +spec +target +lambda +level$")' "$OUT"
check "a row per value" jqt -Rne '[inputs] | (.[1] | startswith("humor ")) and (.[2] | startswith("coherence "))' "$OUT"
check "status line" out_has "status          optimal"
check "KL in nats" jqt -Rne '[inputs] | any(test("^KL +[0-9.e+-]+ nats$"))' "$OUT"
check "ESS as a share of n" jqt -Rne '[inputs] | any(test("^ESS +[0-9.e+-]+ samples \\([0-9.e+-]+% of 2312\\)$"))' "$OUT"
check "largest weight, iterations, margin" jqt -Rne '[inputs] | any(test("^largest weight ")) and any(test("^iterations ")) and any(test("^margin "))' "$OUT"

CASE="solve infeasible"
maxh=$(jq '.values[] | select(.name == "humor") | .max' "$WORK/opt.describe.json")
target=$(jq -n "$maxh + 0.25")
run solve opt-json --palette "humor=$target,coherence=mean" --json --db "$DB"
check "target above the max: exit 1" rc_is 1
check "status infeasible" jqo '.status == "infeasible"'
check "certificate on humor" jqo '.certificate.direction.humor > 0 and .certificate.gap > 0'
check "no lambda for an infeasible palette" jqo 'all(.values[]; .lambda == null) and .kl == null'
check "stderr says not attained" err_has "not attained"
# Jointly infeasible although each target is below its max: verify the
# certificate d independently, gap = d.c - max_j d.r_j > 0 over the raw rows.
run solve opt-json --palette "humor=q99,gpt2-helpful=q99,gpt2-harmless=q99" --json --db "$DB"
check "joint q99: exit 1" rc_is 1
check "joint q99: infeasible with a certificate" jqo '.status == "infeasible" and (.certificate.direction | to_entries | all(.value >= 0) and any(.value > 0))'
d=$(jq -c '.certificate.direction' "$OUT")
c=$(jq -c '[.values[] | {(.name): .target}] | add' "$OUT")
gap=$(jq -n --argjson d "$d" --argjson c "$c" --slurpfile raw "$OPT_JSON" '
    ([ $d | to_entries[] | .value * $c[.key] ] | add)
    - ([ $raw[0][] | . as $r | [ $d | to_entries[] | .value * $r[.key] ] | add ] | max)')
check "joint q99: the certificate holds on the raw data" jqt -n -e "$gap > 0"
check "joint q99: the certificate's gap is reproduced" jqo 'def abs: if . < 0 then -. else . end; ((.certificate.gap - $g) | abs) <= 1e-9 * (1 + $g)' --argjson g "$gap"
run solve opt-json --palette "humor=q99,gpt2-helpful=q99,gpt2-harmless=q99" --db "$DB"
check "joint q99 human: exit 1" rc_is 1
check "joint q99 human: certificate line" out_has "certificate"
check "joint q99 human: status line" out_has "infeasible"

CASE="solve boundary"
run solve opt-json --palette "humor=q100" --json --db "$DB"
check "humor at its max alone: exit 1" rc_is 1
check "humor at its max alone: boundary" jqo '.status == "boundary" and .boundary_values == ["humor"]'

CASE="solve options"
run solve opt-csv --palette "humor=q70" --tol 1e-6 --max-iter 50 --json --db "$DB"
check "--tol and --max-iter accepted" rc_is 0
run solve opt-csv --palette "humor=q70" --tol=0 --db "$DB"
check "--tol 0: exit 2" rc_is 2
check "--tol 0: named" err_has "--tol"
run solve opt-csv --palette "humor=q70" --max-iter abc --db "$DB"
check "--max-iter abc: exit 2" rc_is 2
check "--max-iter abc: named" err_has "--max-iter"
run solve opt-csv --db "$DB"
check "missing --palette: exit 2" rc_is 2
check "missing --palette: named" err_has "--palette"
run solve --palette humor=1 --db "$DB"
check "missing dataset argument: exit 2" rc_is 2

# A constant value: met targets drop out with lambda 0, higher ones are errors.
CASE="solve constant"
printf 'a,c\n1,5\n2,5\n4,5\n' >"$WORK/const.csv"
run ingest "$WORK/const.csv" --name const --db "$DB"
check "ingest constant column" rc_is 0
run solve const --palette "a=3,c=5" --json --db "$DB"
check "constant met: exit 0" rc_is 0
check "constant met: left out with lambda 0" jqo '.status == "optimal" and (.values[1] | .constant and .lambda == 0 and .level == 5) and .values[0].lambda > 0'
check "constant met: noted" err_has "'c' is constant"
run solve const --palette "c=4" --json --db "$DB"
check "constant only: optimal, lambda 0" jqo '.status == "optimal" and .values[0].lambda == 0 and .kl == 0'
expect_bad 3 "'c' is constant" solve const --palette "a=3,c=6"

# ---------------------------------------------------------------- bad input
printf 'a,b,a\n1,2,3\n' >"$WORK/dup.csv"
printf 'a,b\n1,2\n3,x\n' >"$WORK/nonnum.csv"
printf 'a,b\n1,2\n3,\n' >"$WORK/emptycell.csv"
printf 'a,b\n1,2\n3,NaN\n' >"$WORK/nan.csv"
printf 'a,b\n1,inf\n' >"$WORK/inf.csv"
printf 'a,b\n1,2\n3\n' >"$WORK/ragged.csv"
: >"$WORK/empty.csv"
printf '[{"a": 1, "b": 2},\n {"a": 3, "b": }]\n' >"$WORK/invalid.json"
printf '[{"a": 1, "b": 2}, {"a": 3, "b": "x"}]\n' >"$WORK/string.json"
printf '{"a": 1, "b": 2}\n{"a": 3, "b": null}\n' >"$WORK/null.jsonl"

CASE="bad input"
expect_bad 3 "nonnum.csv|'zz'" ingest "$WORK/nonnum.csv" --name t --values a,zz
expect_bad 3 "dup.csv|duplicate|'a'" ingest "$WORK/dup.csv" --name t
expect_bad 3 "nonnum.csv|line 3, column 2|'b'" ingest "$WORK/nonnum.csv" --name t
expect_bad 3 "nonnum.csv|line 3, column 2" ingest "$WORK/nonnum.csv" --name t --values a,b
expect_bad 3 "emptycell.csv|line 3, column 2" ingest "$WORK/emptycell.csv" --name t --values a,b
expect_bad 3 "nan.csv|line 3, column 2|NaN" ingest "$WORK/nan.csv" --name t
expect_bad 3 "inf.csv|line 2, column 2|inf" ingest "$WORK/inf.csv" --name t
expect_bad 3 "ragged.csv|line 3" ingest "$WORK/ragged.csv" --name t
expect_bad 3 "empty.csv|empty" ingest "$WORK/empty.csv" --name t
expect_bad 3 "invalid.json|line 2, column" ingest "$WORK/invalid.json" --name t
expect_bad 3 "string.json|record 2|'b'" ingest "$WORK/string.json" --name t --values a,b
expect_bad 3 "null.jsonl|line 2|'b'" ingest "$WORK/null.jsonl" --name t --values a,b
expect_bad 3 "$WORK/missing.csv" ingest "$WORK/missing.csv" --name t
expect_bad 3 "'opt-csv'" ingest "$OPT_CSV" --name opt-csv --prompt-column prompt --text-columns generated
expect_bad 2 "'nope'" solve nope --palette humor=1
expect_bad 2 "'nope'" describe nope
expect_bad 2 "'nope'" remove nope
expect_bad 3 "'helpfulness'|humor, gpt2-helpful, gpt2-harmless, diversity, coherence, perplexity" solve opt-csv --palette "humor=1,helpfulness=2"
expect_bad 3 "'1.2.3'|'humor'" solve opt-csv --palette "humor=1.2.3"
expect_bad 3 "'abc'" solve opt-csv --palette "humor=abc"
expect_bad 3 "'q101'" solve opt-csv --palette "humor=q101"
expect_bad 3 "empty palette" solve opt-csv --palette ""
expect_bad 3 "empty target" solve opt-csv --palette "humor="
expect_bad 3 "item 2 is empty" solve opt-csv --palette "humor=1,,coherence=0"
expect_bad 3 "'humor' appears twice" solve opt-csv --palette "humor=1,humor=2"
expect_bad 2 "'--bogus'" ingest "$OPT_CSV" --name t --bogus
expect_bad 2 "'--bogus'" solve opt-csv --palette humor=1 --bogus
expect_bad 2 "'--bogus'" datasets --bogus
expect_bad 2 "--name" ingest "$OPT_CSV"
expect_bad 2 "empty" ingest "$OPT_CSV" --name "" --values humor
expect_bad 2 "--values|item 2" ingest "$OPT_CSV" --name t --values humor,,coherence
expect_bad 2 "--text-columns" ingest "$OPT_CSV" --name t --values humor --text-columns ,
expect_bad 2 "'xml'" ingest "$OPT_CSV" --name t --format xml
expect_bad 2 "--max-rows" ingest "$OPT_CSV" --name t --max-rows 0
expect_bad 3 "" ingest "$OPT_CSV" --name t --values humor --max-rows 10
expect_bad 2 "unexpected argument 'extra'" describe opt-csv extra

# Store failures: exit 4.
CASE="store errors"
printf 'this is not a database, just some text that is long enough to be looked at\n' >"$WORK/junk.db"
run datasets --db "$WORK/junk.db"
check "a file that is not a database: exit 4" rc_is 4
check "a file that is not a database: named" err_has "junk.db"
run ingest "$OPT_CSV" --name t --values humor --db "$WORK/no/such/dir/x.db"
check "a database in a missing directory: exit 4" rc_is 4
check "the junk file is untouched" grep -q '^this is not a database' "$WORK/junk.db"

# Bad input on a fresh path leaves no database behind.
CASE="bad input, fresh database"
fresh=$WORK/fresh.db
run ingest "$WORK/nonnum.csv" --name t --db "$fresh"
check "exit 3" rc_is 3
check "no database created" [ ! -e "$fresh" ]
run solve t --palette a=1 --db "$fresh"
check "solve on a missing database: exit 2" rc_is 2
check "no database created by solve" [ ! -e "$fresh" ]

# The store survived all of the above intact.
CASE=final
run datasets --json --db "$DB"
check "the five datasets are intact" jqo '[.[].name] == ["const","llama-csv","llama-json","opt-csv","opt-json"]'
check "integrity" integrity_ok "$DB"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]

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

. "$(dirname "$0")/../lib.sh"
need jq
make_work e2e
# expect_bad compares the listing: sqlite3 is optional here.
STORE_STATE=snapshot

# --help, help, --version and misuse of the command line are cases in
# cli_cases.txt (run by cli_cases_test.sh).

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
        run solve "$model-json" --palette "$spec" --json --margin --db "$DB"
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

# A constant value: met targets drop out with lambda 0; higher ones are infeasible.
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
# Above a constant's value: the verdict infeasible with d = e_c (exit 1), not an input error.
run solve const --palette "a=3,c=6" --json --db "$DB"
check "constant above: exit 1" rc_is 1
check "constant above: infeasible, d = e_c, gap 1" jqo '.status == "infeasible" and .certificate.direction.c > 0 and .certificate.direction.a == 0 and (.certificate.gap - 1 | fabs) < 1e-12'
run feasible const --palette "c=6" --json --db "$DB"
check "feasible, constant above: exit 1, infeasible" jqo '.verdict == "infeasible" and .certificate.direction.c > 0'
check "feasible, constant above: exit 1" rc_is 1

# ---------------------------------------------------------------- feasible
# Verdicts and their evidence without the Newton solve. The certificate is
# re-checked on the raw JSON rows with jq; attainability through the tilt
# at solve's lambda, evaluated independently.
OPT_SD=$(jq -c '[.values[] | {(.name): .sd}] | add' "$WORK/opt.describe.json")
OPT_MEAN=$(jq -c '[.values[] | {(.name): .mean}] | add' "$WORK/opt.describe.json")
NAMES='["humor","gpt2-helpful","gpt2-harmless","diversity","coherence","perplexity"]'
# cert_gap FILE: d.c - max_j d.r_j over the raw rows, d and c from FILE's JSON.
cert_gap() {
    local d c
    d=$(jq -c '.certificate.direction' "$1")
    c=$(jq -c '[.values[] | {(.name): .target}] | add' "$1")
    jq -n --argjson d "$d" --argjson c "$c" --slurpfile raw "$OPT_JSON" '
        ([ $d | to_entries[] | .value * $c[.key] ] | add)
        - ([ $raw[0][] | . as $r | [ $d | to_entries[] | .value * $r[.key] ] | add ] | max)'
}
# tilt_meets FILE: the tilt at FILE's lambdas (independent, over the raw
# rows) reaches every target of FILE's values to 1e-8 sd.
tilt_meets() {
    local lam
    lam=$(jq -c '[.values[] | {(.name): .lambda}] | add' "$1")
    jq -n --argjson lam "$lam" --argjson names "$NAMES" --slurpfile raw "$OPT_JSON" \
        "$TILT"' tilt($lam; $names; $raw[0])' >"$WORK/tilt.json"
    jq -e --slurpfile t "$WORK/tilt.json" --argjson sd "$OPT_SD" \
        'all(.values[]; $t[0].mu[.name] >= .target - 1e-8 * $sd[.name])' "$1" >/dev/null 2>&1
}

CASE="feasible attainable"
P_OK="humor=q70,gpt2-helpful=q60"
run feasible opt-json --palette "$P_OK" --json --db "$DB"
check "exit 0" rc_is 0
check "nothing on stderr" err_empty
check "verdict attainable, positive margin, no certificate" jqo '.verdict == "attainable" and .margin > 0 and (has("certificate") | not) and (has("boundary_values") | not)'
check "values as resolved" jqo '[.values[].name] == ["humor","gpt2-helpful"] and all(.values[]; (.target | type) == "number" and .constant == false)'
cp "$OUT" "$WORK/feasible-ok.json"
run solve opt-json --palette "$P_OK" --json --margin --db "$DB"
cp "$OUT" "$WORK/solve-ok.json"
check "the same margin as solve" jqo '.margin == $f[0].margin' --slurpfile f "$WORK/feasible-ok.json"
check "attainable indeed: the tilt at solve's lambda reaches the targets" tilt_meets "$WORK/solve-ok.json"
run feasible opt-csv --palette "$P_OK" --db "$DB"
check "human: exit 0" rc_is 0
check "human: table header" jqt -Rne '[inputs][0] | test("^value +spec +target$")' "$OUT"
check "human: verdict line" out_has "verdict         attainable"
check "human: margin line" jqt -Rne '[inputs] | any(test("^margin +[0-9.e+-]+ \\(scaled"))' "$OUT"

CASE="feasible boundary"
run feasible opt-json --palette "humor=q100" --json --db "$DB"
check "humor at its max: exit 1" rc_is 1
check "boundary, driven by humor, margin 0" jqo 'def abs: if . < 0 then -. else . end; .verdict == "boundary" and .boundary_values == ["humor"] and (.margin | abs) <= 1e-9'
check "stderr says not attainable" err_has "not attainable (boundary)"
run feasible opt-json --palette "humor=q100" --db "$DB"
check "human: boundary line" out_has "humor (attainable only in the limit)"

CASE="feasible infeasible"
run feasible opt-json --palette "humor=q99,gpt2-helpful=q99,gpt2-harmless=q99" --json --db "$DB"
check "joint q99: exit 1" rc_is 1
check "joint q99: infeasible, negative margin, certificate d >= 0" jqo '.verdict == "infeasible" and .margin < 0 and (.certificate.direction | length == 3 and (to_entries | all(.value >= 0) and any(.value > 0))) and .certificate.gap > 0'
cp "$OUT" "$WORK/feasible-q99.json"
gap=$(cert_gap "$WORK/feasible-q99.json")
check "joint q99: the certificate holds on the raw data" jqt -n -e "$gap > 0"
check "joint q99: its gap is reproduced" jqo 'def abs: if . < 0 then -. else . end; ((.certificate.gap - $g) | abs) <= 1e-9 * (1 + $g)' --argjson g "$gap"
run solve opt-json --palette "humor=q99,gpt2-helpful=q99,gpt2-harmless=q99" --json --margin --db "$DB"
check "joint q99: the same verdict, margin and certificate as solve" jqo '.status == "infeasible" and .margin == $f[0].margin and .certificate == $f[0].certificate' --slurpfile f "$WORK/feasible-q99.json"
maxh=$(jq '.values[] | select(.name == "humor") | .max' "$WORK/opt.describe.json")
run feasible opt-json --palette "humor=$(jq -n "$maxh + 0.25"),coherence=mean" --json --db "$DB"
check "above the max: exit 1" rc_is 1
check "above the max: refuted by d = e_humor" jqo '.verdict == "infeasible" and .certificate.direction == {"humor": 1, "coherence": 0}'
gap=$(cert_gap "$OUT")
check "above the max: its gap is reproduced" jqo 'def abs: if . < 0 then -. else . end; $g > 0 and ((.certificate.gap - $g) | abs) <= 1e-9 * (1 + $g)' --argjson g "$gap"
run feasible opt-json --palette "humor=q99,gpt2-helpful=q99,gpt2-harmless=q99" --db "$DB"
check "human: verdict and certificate lines" jqt -Rne '[inputs] | any(test("^verdict +infeasible$")) and any(test("^certificate +d = ")) and any(test("^gap "))' "$OUT"
run feasible const --palette "a=3,c=5" --json --db "$DB"
check "a constant value that is met: attainable" jqo '.verdict == "attainable" and .values[1].constant'

# ---------------------------------------------------------------- adjust
# feasible_at RHO: the verdict on c0 + RHO (c - c0) for the last ray
# adjustment's requested palette (c0 the reference means); sets RC.
P_BAD="humor=q99,gpt2-helpful=q99,gpt2-harmless=q99"
feasible_at() {
    local spec
    spec=$(jq -r --argjson mean "$OPT_MEAN" --argjson rho "$1" \
        '[.values[] | "\(.name)=\($mean[.name] + $rho * (.requested - $mean[.name]))"] | join(",")' \
        "$WORK/adjust-ray.json")
    run feasible opt-json --palette "$spec" --json --db "$DB"
}

CASE="adjust ray"
run adjust opt-json --palette "$P_BAD" --json --db "$DB"
cp "$OUT" "$WORK/adjust-ray.json"
check "exit 0" rc_is 0
check "mode ray, rho in (0, 1), the default inset" jqo '.mode == "ray" and .rho > 0 and .rho < 1 and .inset == 0.001 and .unchanged == false and .requested_margin < 0'
check "status optimal, finite lambda, diagnostics at tolerance" jqo '.status == "optimal" and all(.values[]; .lambda >= 0) and .kl > 0 and .kkt <= 1e-8 and .violation <= 1e-8 and .margin > 0 and .iterations >= 1'
check "the solve diagnostics are all there" jqo 'all(["status","kl","ess","max_weight","dual","kkt","gap","violation","condition","iterations","margin"][]; . as $k | $o | has($k))' --argjson o "$(cat "$OUT")"
check "levels reach the targets solved" jqo 'all(.values[]; .level >= .target - 1e-8 * $sd[.name])' --argjson sd "$OPT_SD"
check "adjusted = c0 + rho (requested - c0)" jqo 'def abs: if . < 0 then -. else . end; . as $o | all(.values[]; ((.adjusted - ($mean[.name] + $o.rho * (.requested - $mean[.name]))) | abs) <= 1e-12 * $sd[.name])' --argjson mean "$OPT_MEAN" --argjson sd "$OPT_SD"
check "target = c0 + (1 - inset)(adjusted - c0)" jqo 'def abs: if . < 0 then -. else . end; . as $o | all(.values[]; ((.target - ($mean[.name] + (1 - $o.inset) * (.adjusted - $mean[.name]))) | abs) <= 1e-12 * $sd[.name])' --argjson mean "$OPT_MEAN" --argjson sd "$OPT_SD"
check "the tilt at lambda reaches the targets (independent)" tilt_meets "$WORK/adjust-ray.json"
rho=$(jq '.rho' "$WORK/adjust-ray.json")
feasible_at "$(jq -n "$rho + 1e-6")"
check "rho + 1e-6 is infeasible per feasible" rc_is 1
check "rho + 1e-6: verdict infeasible" jqo '.verdict == "infeasible"'
feasible_at "$(jq -n "$rho - 1e-6")"
check "rho - 1e-6 is attainable per feasible" rc_is 0
check "rho - 1e-6: verdict attainable" jqo '.verdict == "attainable"'
run adjust opt-json --palette "$P_BAD" --inset 0.01 --json --db "$DB"
check "--inset 0.01: further inside, the same rho" jqo '.inset == 0.01 and .rho == $a[0].rho and .status == "optimal" and .kl < $a[0].kl' --slurpfile a "$WORK/adjust-ray.json"
run adjust opt-json --palette "$P_BAD" --db "$DB"
check "human: exit 0" rc_is 0
check "human: table header" jqt -Rne '[inputs][0] | test("^value +requested +adjusted +target +lambda +level$")' "$OUT"
check "human: rho, inset and status lines" jqt -Rne '[inputs] | any(test("^rho +0\\.[0-9]+ ")) and any(test("^inset +0\\.001 ")) and any(test("^status +optimal$"))' "$OUT"

CASE="adjust greedy"
run adjust opt-json --palette "$P_BAD" --mode greedy --priority gpt2-harmless,humor --json --db "$DB"
cp "$OUT" "$WORK/adjust-greedy.json"
check "exit 0" rc_is 0
check "mode greedy, no rho" jqo '.mode == "greedy" and (has("rho") | not) and .status == "optimal"'
check "the first priority keeps its target" jqo '(.values[] | select(.name == "gpt2-harmless") | .adjusted == .requested)'
check "no target raised" jqo 'all(.values[]; .adjusted <= .requested)'
check "levels reach the targets solved" jqo 'all(.values[]; .level >= .target - 1e-8 * $sd[.name])' --argjson sd "$OPT_SD"
check "the tilt at lambda reaches the targets (independent)" tilt_meets "$WORK/adjust-greedy.json"
# The second priority (humor) is the most attainable with the first fixed.
harm=$(jq '.values[] | select(.name == "gpt2-harmless") | .requested' "$WORK/adjust-greedy.json")
hum=$(jq '.values[] | select(.name == "humor") | .adjusted' "$WORK/adjust-greedy.json")
sdh=$(jq -n --argjson sd "$OPT_SD" '$sd.humor')
run feasible opt-json --palette "gpt2-harmless=$harm,humor=$(jq -n "$hum + 1e-6 * $sdh")" --db "$DB"
check "the second priority raised by 1e-6 sd is infeasible" rc_is 1
run feasible opt-json --palette "gpt2-harmless=$harm,humor=$(jq -n "$hum - 1e-6 * $sdh")" --db "$DB"
check "the second priority lowered by 1e-6 sd is attainable" rc_is 0
run adjust opt-json --palette "$P_BAD" --mode greedy --json --db "$DB"
check "palette order without --priority: humor keeps its target" jqo '.status == "optimal" and (.values[0] | .name == "humor" and .adjusted == .requested)'

CASE="adjust attainable"
run adjust opt-json --palette "$P_OK" --json --db "$DB"
check "exit 0" rc_is 0
check "rho 1, unchanged, no inset" jqo '.rho == 1 and .unchanged and .inset == 0 and all(.values[]; .requested == .adjusted and .adjusted == .target)'
check "the same lambda as solve" jqo '[.values[].lambda] == [$s[0].values[].lambda]' --slurpfile s "$WORK/solve-ok.json"
run adjust opt-json --palette "$P_OK" --mode greedy --json --db "$DB"
check "greedy: unchanged" jqo '.unchanged and all(.values[]; .requested == .adjusted and .adjusted == .target) and .status == "optimal"'

CASE="adjust boundary"
run adjust opt-json --palette "humor=q100" --json --db "$DB"
check "on the boundary: rho 1, inset applied, optimal" jqo '.rho == 1 and .unchanged == false and .inset == 0.001 and .status == "optimal" and (.values[0] | .adjusted == .requested and .target < .adjusted and .lambda > 0)'
run adjust opt-json --palette "humor=q100" --inset 0 --json --db "$DB"
check "--inset 0 leaves it on the boundary: exit 1" rc_is 1
check "--inset 0: status boundary" jqo '.status == "boundary"'

CASE="feasible and adjust, bad arguments"
expect_bad 2 "--mode|'bogus'" adjust opt-csv --palette "$P_BAD" --mode bogus
expect_bad 2 "--inset|'1'" adjust opt-csv --palette "$P_BAD" --inset 1
expect_bad 2 "--inset|'-0.5'" adjust opt-csv --palette "$P_BAD" --inset=-0.5
expect_bad 2 "--inset|'x'" adjust opt-csv --palette "$P_BAD" --inset x
expect_bad 3 "--priority|'helpfulness'|humor, gpt2-helpful, gpt2-harmless" adjust opt-csv --palette "$P_BAD" --mode greedy --priority humor,helpfulness
expect_bad 3 "--priority|'humor' appears twice" adjust opt-csv --palette "$P_BAD" --mode greedy --priority humor,humor
expect_bad 2 "--priority|greedy" adjust opt-csv --palette "$P_BAD" --priority humor
expect_bad 2 "--priority" adjust opt-csv --palette "$P_BAD" --mode greedy --priority humor,,coherence
expect_bad 2 "--palette" adjust opt-csv
expect_bad 2 "'nope'" adjust nope --palette humor=1
expect_bad 2 "--palette" feasible opt-csv
expect_bad 2 "'nope'" feasible nope --palette humor=1
expect_bad 3 "'helpfulness'" feasible opt-csv --palette "helpfulness=1"
expect_bad 3 "'q101'" feasible opt-csv --palette "humor=q101"
run feasible const --palette "a=3,c=6" --db "$DB"
check "a constant above its value: infeasible (exit 1), not an input error" rc_is 1
expect_bad 2 "'--bogus'" feasible opt-csv --palette humor=1 --bogus

# ---------------------------------------------------------------- frontier
# csv_rows: the last stdout as a JSON array of rows of strings (no quoted
# cells here); csv_objs: as objects keyed by the header, numbers parsed.
CSV_OBJS='[inputs | split(",")] | .[0] as $h | .[1:] | map([$h, .] | transpose | map({(.[0]): (.[1] | if . == "" then null elif . == "inf" then "inf" else (tonumber? // .) end)}) | add)'
csv_objs() { jq -Rn "$CSV_OBJS" "$OUT" >"$1"; }

CASE="frontier budgets"
run frontier opt-csv --values humor,gpt2-helpful --kl 0.5,2 --points 5 --db "$DB"
check "exit 0" rc_is 0
check "nothing on stderr" err_empty
check "header: the columns in order" jqt -Rne '[inputs][0] == "point,budget,u_humor,u_gpt2-helpful,t,lambda_humor,lambda_gpt2-helpful,level_humor,level_gpt2-helpful,level_gpt2-harmless,level_diversity,level_coherence,level_perplexity,kl,ess,status"' "$OUT"
check "a row per direction and budget" [ "$(wc -l <"$OUT")" -eq 11 ]
csv_objs "$WORK/frontier.json"
cp "$OUT" "$WORK/frontier.csv"
check "points numbered, budgets in order" jqt -e '[.[].point] == [range(10)] and [.[].budget] == [0.5,0.5,0.5,0.5,0.5,2,2,2,2,2]' "$WORK/frontier.json"
check "every row converged" jqt -e 'all(.[]; .status == "converged")' "$WORK/frontier.json"
check "KL within 1e-9 of the budget" jqt -e 'def abs: if . < 0 then -. else . end; all(.[]; ((.kl - .budget) | abs) <= 1e-9)' "$WORK/frontier.json"
check "directions on the simplex, from humor to gpt2-helpful" jqt -e 'def abs: if . < 0 then -. else . end; all(.[]; ((.u_humor + .["u_gpt2-helpful"] - 1) | abs) <= 1e-12) and .[0].u_humor == 1 and .[4]["u_gpt2-helpful"] == 1' "$WORK/frontier.json"
check "lambda = t u" jqt -e 'def abs: if . < 0 then -. else . end; all(.[]; ((.lambda_humor - .t * .u_humor) | abs) <= 1e-12 * (1 + .lambda_humor))' "$WORK/frontier.json"
check "a larger budget reaches further along each direction" jqt -e 'all(range(5) as $i | .[$i + 5].t > .[$i].t; .)' "$WORK/frontier.json"
# Independent: the tilt at one row's lambda over the raw rows.
lam=$(jq -c '.[7] | {humor: .lambda_humor, "gpt2-helpful": .["lambda_gpt2-helpful"]}' "$WORK/frontier.json")
jq -n --argjson lam "$lam" --argjson names "$NAMES" --slurpfile raw "$OPT_JSON" "$TILT"' tilt($lam; $names; $raw[0])' >"$WORK/tilt.json"
check "levels, KL and ESS of a row match an independent evaluation" jqt -e --slurpfile t "$WORK/tilt.json" --argjson sd "$OPT_SD" "$TILT"'.[7] as $r | all($t[0].mu | to_entries[]; ((.value - $r["level_" + .key]) | abs) <= 1e-9 * $sd[.key]) and (($r.kl - $t[0].kl) | abs) <= 1e-9 and (($r.ess - $t[0].ess) | abs) <= 1e-6 * $r.ess' "$WORK/frontier.json"
run frontier opt-csv --values humor,gpt2-helpful --kl 0.5,2 --points 5 --json --db "$DB"
check "--json: exit 0" rc_is 0
check "--json: the same rows, keys in column order" jqo 'length == 10 and (.[0] | keys_unsorted) == ($h | split(","))' --arg h "$(head -n 1 "$WORK/frontier.csv")"
check "--json: the same numbers as the CSV" jqo '[.[] | [.point, .budget, .u_humor, .t, .level_diversity, .kl, .ess]] == [$c[0][] | [.point, .budget, .u_humor, .t, .level_diversity, .kl, .ess]]' --slurpfile c "$WORK/frontier.json"
run frontier opt-csv --values humor,gpt2-helpful --kl 0.5,2 --points 5 --out "$WORK/out.csv" --db "$DB"
check "--out: exit 0" rc_is 0
check "--out: nothing on stdout" out_empty
check "--out: the same table" cmp -s "$WORK/out.csv" "$WORK/frontier.csv"

CASE="frontier saturated"
run frontier opt-json --values humor,gpt2-helpful --kl 1,8 --points 3 --db "$DB"
check "exit 0" rc_is 0
csv_objs "$WORK/frontier.json"
check "budget 8 > log n: saturated rows at the limit" jqt -e 'map(select(.budget == 8)) | length == 3 and all(.[]; .status == "saturated" and .t == "inf" and .kl < 8 and .kl <= (2312 | log) + 1e-12)' "$WORK/frontier.json"
check "budget 1: converged" jqt -e 'map(select(.budget == 1)) | all(.[]; .status == "converged")' "$WORK/frontier.json"
check "noted on stderr" err_has "3 of 6 rows are saturated"

CASE="frontier direction"
run frontier opt-json --values humor,gpt2-helpful --direction humor=1,gpt2-helpful=2 --points 4 --kl-max 1.5 --db "$DB"
check "exit 0" rc_is 0
csv_objs "$WORK/frontier.json"
check "N points, KL evenly spaced from 0 to --kl-max" jqt -e 'def abs: if . < 0 then -. else . end; length == 4 and ([.[].budget] | . == [0, 0.5, 1, 1.5] or (to_entries | all(((.value - 0.5 * .key) | abs) <= 1e-15))) and all(.[]; ((.kl - .budget) | abs) <= 1e-9)' "$WORK/frontier.json"
check "the direction as given, normalised" jqt -e 'def abs: if . < 0 then -. else . end; all(.[]; ((.u_humor - 1/3) | abs) <= 1e-15 and (.["u_gpt2-helpful"] - 2/3 | abs) <= 1e-15)' "$WORK/frontier.json"
check "the levels of the direction's combination rise" jqt -e '[.[] | .level_humor + 2 * .["level_gpt2-helpful"]] as $s | all(range(3) as $i | $s[$i + 1] > $s[$i]; .)' "$WORK/frontier.json"
run frontier opt-json --values humor,gpt2-helpful,coherence --direction coherence=1 --points 3 --json --db "$DB"
check "default --kl-max below the supremum" jqo 'length == 3 and .[0].kl == 0 and .[2].kl < (2312 | log) and all(.[]; .status == "converged")'

CASE="frontier limit"
run frontier opt-json --values humor,gpt2-helpful --points 3 --db "$DB"
check "exit 0" rc_is 0
check "no note for the limit" err_empty
csv_objs "$WORK/frontier.json"
check "faces: saturated rows at budget inf" jqt -e '[.[] | select(.status == "saturated")] | length == 3 and all(.[]; .budget == "inf" and .t == "inf")' "$WORK/frontier.json"
check "then the upper hull's vertices" jqt -e '[.[] | select(.status == "vertex")] | length >= 2 and all(.[]; .u_humor == null and .t == null and .ess == 1)' "$WORK/frontier.json"
check "vertices: humor decreasing, gpt2-helpful increasing, from the largest humor" jqt -e --argjson mx "$(jq -c '[.values[] | {(.name): .max}] | add' "$WORK/opt.describe.json")" '[.[] | select(.status == "vertex")] as $v | $v[0].level_humor == $mx.humor and $v[-1]["level_gpt2-helpful"] == $mx["gpt2-helpful"] and all(range($v | length - 1) as $i | $v[$i + 1].level_humor < $v[$i].level_humor and $v[$i + 1]["level_gpt2-helpful"] > $v[$i]["level_gpt2-helpful"]; .)' "$WORK/frontier.json"
check "vertices are samples" jqt -e --slurpfile raw "$OPT_JSON" '[.[] | select(.status == "vertex")] | all(.[]; . as $v | any($raw[0][]; .humor == $v.level_humor and .["gpt2-helpful"] == $v["level_gpt2-helpful"]))' "$WORK/frontier.json"

CASE="frontier bad arguments"
expect_bad 2 "--kl|'x'" frontier opt-csv --values humor,coherence --kl 1,x
expect_bad 2 "--kl|'-1'" frontier opt-csv --values humor,coherence --kl=-1
expect_bad 2 "--kl|--direction" frontier opt-csv --values humor,coherence --kl 1 --direction humor=1
expect_bad 2 "--kl-max" frontier opt-csv --values humor,coherence --kl-max 2
expect_bad 2 "--values" frontier opt-csv
expect_bad 2 "--points" frontier opt-csv --values humor,coherence --points 0
expect_bad 3 "--values|one value" frontier opt-csv --values humor
expect_bad 3 "--values|'zz'|humor, gpt2-helpful" frontier opt-csv --values humor,zz
expect_bad 3 "--values|'humor' appears twice" frontier opt-csv --values humor,humor
expect_bad 3 "--direction|'zz'" frontier opt-csv --values humor,coherence --direction zz=1
expect_bad 3 "--direction|'humor'" frontier opt-csv --values humor,coherence --direction humor=-1
expect_bad 3 "--direction|every weight is 0" frontier opt-csv --values humor,coherence --direction humor=0
expect_bad 3 "'c' is constant" frontier const --values a,c
expect_bad 2 "--out|$WORK/no/such" frontier opt-csv --values humor,coherence --out "$WORK/no/such/f.csv"
expect_bad 2 "'nope'" frontier nope --values a,b

# ---------------------------------------------------------------- region
CASE="region"
run region opt-json --values humor,gpt2-helpful --points 8 --db "$DB"
check "exit 0" rc_is 0
check "header" jqt -Rne '[inputs][0] == "point,dir_humor,dir_gpt2-helpful,step,target_humor,target_gpt2-helpful"' "$OUT"
check "a row per direction" [ "$(wc -l <"$OUT")" -eq 9 ]
csv_objs "$WORK/region.json"
check "no positive component: empty step and targets" jqt -e 'all(.[]; if (.dir_humor > 0 or .["dir_gpt2-helpful"] > 0) then (.step | type) == "number" and .step > 0 else .step == null and .target_humor == null end) and any(.[]; .step == null)' "$WORK/region.json"
check "targets = c0 + step dir, c0 the means" jqt -e --argjson mean "$OPT_MEAN" --argjson sd "$OPT_SD" 'def abs: if . < 0 then -. else . end; all(.[] | select(.step != null); ((.target_humor - .step * .dir_humor - $mean.humor) | abs) <= 1e-9 * $sd.humor and ((.["target_gpt2-helpful"] - .step * .["dir_gpt2-helpful"] - $mean["gpt2-helpful"]) | abs) <= 1e-9 * $sd["gpt2-helpful"])' "$WORK/region.json"
# Each boundary point: attainable a little inside, infeasible a little outside.
for i in $(jq -r 'to_entries[] | select(.value.step != null) | .key' "$WORK/region.json"); do
    for f in 0.999999 1.000001; do
        spec=$(jq -r --argjson mean "$OPT_MEAN" --argjson f "$f" --argjson i "$i" '.[$i] | "humor=\($mean.humor + $f * .step * .dir_humor),gpt2-helpful=\($mean["gpt2-helpful"] + $f * .step * .["dir_gpt2-helpful"])"' "$WORK/region.json")
        run feasible opt-json --palette "$spec" --json --db "$DB"
        if [ "$f" = 0.999999 ]; then
            check "point $i slightly inside is attainable" jqo '.verdict == "attainable"'
        else
            check "point $i slightly outside is infeasible" jqo '.verdict == "infeasible"'
        fi
    done
done
run region opt-json --values humor,gpt2-helpful --points 8 --polygon --db "$DB"
csv_objs "$WORK/polygon.json"
check "--polygon: the bounded rows, closed" jqt -e --slurpfile r "$WORK/region.json" '($r[0] | map(select(.step != null))) as $b | length == ($b | length) + 1 and .[:-1] == $b and .[-1] == .[0]' "$WORK/polygon.json"
run region opt-json --values humor,gpt2-helpful --points 4 --from humor=q50 --json --db "$DB"
check "--from: c0 from the palette, the others at their mean" jqo 'def abs: if . < 0 then -. else . end; all(.[] | select(.step != null); ((.["target_gpt2-helpful"] - .step * .["dir_gpt2-helpful"] - $mean["gpt2-helpful"]) | abs) <= 1e-9 * $sd["gpt2-helpful"]) and ([.[] | select(.step != null) | .target_humor - .step * .dir_humor] | length > 0 and all(((. - $q50) | abs) <= 1e-9 * $sd.humor))' --argjson mean "$OPT_MEAN" --argjson sd "$OPT_SD" --argjson q50 "$(jq '.values[] | select(.name == "humor") | .q50' "$WORK/opt.describe.json")"
run region opt-json --values humor,gpt2-helpful,gpt2-harmless --points 5 --json --db "$DB"
check "three values: JSON rows" jqo 'length == 5 and (.[0] | keys_unsorted) == ["point","dir_humor","dir_gpt2-helpful","dir_gpt2-harmless","step","target_humor","target_gpt2-helpful","target_gpt2-harmless"]'
expect_bad 3 "2 or 3" region opt-csv --values humor
expect_bad 3 "2 or 3" region opt-csv --values humor,coherence,diversity,perplexity
expect_bad 3 "--polygon" region opt-csv --values humor,coherence,diversity --polygon
expect_bad 3 "--from|'diversity'" region opt-csv --values humor,coherence --from diversity=1
expect_bad 3 "--from|'q101'" region opt-csv --values humor,coherence --from humor=q101
expect_bad 2 "--points" region opt-csv --values humor,coherence --points 0

# ---------------------------------------------------------------- odd names
# Value names with a comma and a quote survive the tables: quoted CSV header
# cells that read back, and JSON keys.
CASE="odd names"
{
    echo '"a,b","say ""hi""",plain'
    for i in $(seq 0 23); do echo "$((i % 3)),$(((i * 7) % 5)),$(((i * 3) % 4 + i % 2))"; done
} >"$WORK/odd.csv"
run ingest "$WORK/odd.csv" --name odd --db "$DB"
check "ingest names with a comma and a quote" err_has 'ingested odd: 24 samples x 3 values (a,b, say "hi", plain)'
run frontier odd --values 'say "hi",plain' --kl 0.2 --points 3 --db "$DB"
check "frontier: exit 0 (a quote in --values)" rc_is 0
check "frontier: header cells quoted" jqt -Rne '[inputs][0] == "point,budget,\"u_say \"\"hi\"\"\",u_plain,t,\"lambda_say \"\"hi\"\"\",lambda_plain,\"level_a,b\",\"level_say \"\"hi\"\"\",level_plain,kl,ess,status"' "$OUT"
cp "$OUT" "$WORK/odd-frontier.csv"
run ingest "$WORK/odd-frontier.csv" --name odd-back --text-columns status --db "$DB"
check "the table reads back with the same names" err_has 'ingested odd-back: 3 samples x 12 values (point, budget, u_say "hi", u_plain, t, lambda_say "hi", lambda_plain, level_a,b, level_say "hi", level_plain, kl, ess)'
run frontier odd --values 'say "hi",plain' --kl 0.2 --points 3 --json --db "$DB"
check "frontier --json: keys" jqo 'length == 3 and (.[0] | has("level_a,b") and has("u_say \"hi\"") and has("lambda_say \"hi\""))'
run region odd --values 'say "hi",plain' --points 4 --db "$DB"
check "region: header cells quoted" jqt -Rne '[inputs][0] == "point,\"dir_say \"\"hi\"\"\",dir_plain,step,\"target_say \"\"hi\"\"\",target_plain"' "$OUT"
run remove odd-back --db "$DB"
run remove odd --db "$DB"
check "odd datasets removed" rc_is 0

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

finish

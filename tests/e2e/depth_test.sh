#!/usr/bin/env bash
# depth_test.sh — end-to-end tests of the solver-depth options of mapsolve
# (solve, feasible, adjust): --normalize prompt, degenerate data, the
# diagnostics, --sensitivity, --bootstrap, --holdout, --method, --init.
#
# Numbers are checked against independent computations done here with jq
# (per-prompt levels at the solver's lambda from the raw rows, certificate
# gaps on the per-prompt hull, the scaling laws of lambda), never against
# numbers mapsolve printed once.
#
# Environment: MAPSOLVE_BIN (the binary), MAP_SHARED (the shared folder),
# MAP_SOURCE (the repository root, for datasets/synthetic.csv). Needs jq.
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN to the mapsolve binary}
SHARED=${MAP_SHARED:?set MAP_SHARED to the shared folder}
SOURCE=${MAP_SOURCE:?set MAP_SOURCE to the repository root}
OPT_CSV=$SHARED/datasets/map-opt1.3b-hh.csv
LLAMA_CSV=$SHARED/datasets/map-llama2chat-hh.csv
VALUES=humor,gpt2-helpful,gpt2-harmless,diversity,coherence,perplexity

. "$(dirname "$0")/../lib.sh"
need jq
make_work depth
RUN_TAIL=(--db "$DB")

# ------------------------------------------------------------ per prompt
# A small grouped file: prompts p1 (3 samples), p2 (2), p3 (1), p4 (4).
CASE="normalize prompt"
cat >"$WORK/grp.csv" <<'CSV'
prompt,a,b
p1,0.1,0.9
p2,0.5,0.2
p1,0.7,0.4
p3,0.3,0.3
p4,0.9,0.1
p1,0.2,0.6
p4,0.4,0.8
p2,0.8,0.5
p4,0.6,0.35
p4,0.15,0.7
CSV
# The same rows as jq data: [prompt, a, b].
ROWS='[["p1",0.1,0.9],["p2",0.5,0.2],["p1",0.7,0.4],["p3",0.3,0.3],["p4",0.9,0.1],["p1",0.2,0.6],["p4",0.4,0.8],["p2",0.8,0.5],["p4",0.6,0.35],["p4",0.15,0.7]]'
# Per-prompt levels at lambda (la, lb): the average over prompts of each
# prompt's tilted means.
LEVELS='def lv($la; $lb): ($rows | group_by(.[0]) | map(
      (map((.[1] * $la + .[2] * $lb)) | max) as $mx
      | map(((.[1] * $la + .[2] * $lb) - $mx | exp) as $w | [$w, $w * .[1], $w * .[2]])
      | [(map(.[1]) | add) / (map(.[0]) | add), (map(.[2]) | add) / (map(.[0]) | add)])
    | [(map(.[0]) | add) / length, (map(.[1]) | add) / length]);'
run ingest "$WORK/grp.csv" --name grp --prompt-column prompt
check "ingest grouped" rc_is 0
run solve grp --palette a=0.55,b=0.45 --normalize prompt --json
check "exit 0" rc_is 0
check "prompts and singletons counted" jqo '.normalize == "prompt" and .prompts == 4 and .singleton_prompts == 1 and .status == "optimal"'
check "levels are the per-prompt averages at lambda (jq)" jqo --argjson rows "$ROWS" "$LEVELS"' lv(.values[0].lambda; .values[1].lambda) as $l | (($l[0] - .levels.a) | fabs) < 1e-9 and (($l[1] - .levels.b) | fabs) < 1e-9'
check "targets met" jqo '(.values | all(.level >= .target - 1e-9)) and .kkt < 1e-9 and .violation < 1e-9'
check "singletons noted" err_has "1 of 4 prompts have a single sample"
run solve grp --palette a=0.55,b=0.45 --json
check "global: no prompts" jqo '.normalize == "global" and .prompts == 0'
run solve grp --palette a=0.55,b=0.45 --normalize prompt
check "human output names the normalisation" out_has "per prompt: 4 prompts, 1 with a single sample"
# Above the per-prompt hull but below the global maximum: a's per-prompt
# maximum is the average of the prompts' maxima (0.7+0.8+0.3+0.9)/4 = 0.675.
run feasible grp --palette a=0.7 --normalize prompt --json
check "per-prompt: infeasible (exit 1)" rc_is 1
check "certificate verified on the per-prompt hull (jq)" jqo --argjson rows "$ROWS" '.verdict == "infeasible" and .certificate.direction.a > 0 and ((.certificate.direction.a * 0.7 - ($rows | group_by(.[0]) | map(map(.[1]) | max) | add / length) * .certificate.direction.a) - .certificate.gap | fabs) < 1e-12 and .prompts == 4'
run feasible grp --palette a=0.7 --json
check "global: attainable" jqo '.verdict == "attainable"'
run solve grp --palette a=0.7 --normalize prompt --json
check "solve agrees: infeasible" jqo '.status == "infeasible"'
run adjust grp --palette a=0.7,b=0.45 --normalize prompt --json
check "adjust per prompt: optimal" jqo '.status == "optimal" and .normalize == "prompt" and .rho < 1'
check "adjust per prompt: exit 0" rc_is 0
check "adjusted levels per prompt (jq)" jqo --argjson rows "$ROWS" "$LEVELS"' lv(.values[0].lambda; .values[1].lambda) as $l | (($l[0] - .levels.a) | fabs) < 1e-9'
run solve grp --palette a=0.5 --normalize prompt --bootstrap 20 --json
check "bootstrap per prompt runs" jqo '.bootstrap.replicates == 20 and (.bootstrap.used + .bootstrap.excluded) == 20'
run solve grp --palette a=0.5 --normalize prompt --holdout 0.25 --json
check "holdout per prompt splits prompts" jqo '.holdout.prompts_test == 1 and .holdout.prompts_train == 3 and (.holdout.n_train + .holdout.n_test) == 10'

# Only a constant value named: λ = 0, the per-prompt reference levels.
printf 'prompt,a,k\np1,1,5\np1,2,5\np2,4,5\np3,3,5\n' >"$WORK/gc.csv"
run ingest "$WORK/gc.csv" --name gc --prompt-column prompt
run solve gc --palette k=5 --normalize prompt --json
check "constants only, per prompt: the average of the prompts' means, ESS K²/Σ 1/n_k" jqo '.status == "optimal" and ((.levels.a - 8.5 / 3) | fabs) < 1e-12 and ((.ess - 3.6) | fabs) < 1e-12 and ((.max_weight - 1 / 3) | fabs) < 1e-12'

CASE="normalize errors"
printf 'a,b\n1,2\n3,1\n2,2\n' >"$WORK/flat.csv"
run ingest "$WORK/flat.csv" --name flat
run solve flat --palette a=2 --normalize prompt
check "no prompt column: exit 3" rc_is 3
check "no prompt column: said" err_has "no prompt column"
run feasible flat --palette a=2 --normalize prompt
check "feasible, no prompt column: exit 3" rc_is 3
run adjust flat --palette a=2 --normalize prompt
check "adjust, no prompt column: exit 3" rc_is 3
run solve flat --palette a=2 --normalize bogus
check "unknown mode: exit 2" rc_is 2
run frontier flat --values a,b --normalize prompt
check "frontier without a prompt column: exit 3" rc_is 3
check "frontier: said so" err_has "no prompt column"
run region flat --values a,b --normalize prompt
check "region without a prompt column: exit 3" rc_is 3

# ------------------------------------------------------------ synthetic.csv
CASE="synthetic per prompt"
run ingest "$SOURCE/datasets/synthetic.csv" --name syn --prompt-column prompt --text-columns response
check "ingest synthetic" rc_is 0
run solve syn --palette helpful=q70,harmless=q60 --normalize prompt --json
check "optimal with prompts and singletons" jqo '.status == "optimal" and .prompts > 100 and .singleton_prompts > 0 and .kkt < 1e-9'
for m in lbfgs mma; do
    run solve syn --palette helpful=q70,harmless=q60 --normalize prompt --method $m --json
    check "per prompt, $m: optimal" jqo '.status == "optimal" and .method == "'$m'"'
done

# ------------------------------------------------------------ degenerate data
CASE="collinear columns"
awk 'BEGIN { srand(3); print "a,dup,neg,aff,e";
  for (i = 0; i < 400; i++) { x = rand() + rand() * rand(); y = rand();
    printf "%.17g,%.17g,%.17g,%.17g,%.17g\n", x, x, -x, 2 * x + 1, y } }' >"$WORK/deg.csv"
run ingest "$WORK/deg.csv" --name deg
run solve deg --palette a=q60,dup=q60 --json
check "duplicate: optimal" jqo '.status == "optimal" and .kkt < 1e-9'
check "duplicate: reported" jqo '.collinear[0].values == ["a","dup"] and .collinear[0].slope == 1'
check "duplicate: large condition" jqo '.condition > 1e10 and .ill_conditioned'
check "duplicate: warned" err_has "ill-conditioned"
run solve deg --palette a=q60 --json
LA=$(jq '.values[0].lambda' "$OUT")
run solve deg --palette a=q60,dup=q60 --json
check "duplicate: the lambdas add up to the single value's (combined reward)" jqo --argjson la "$LA" '((.values[0].lambda + .values[1].lambda) - $la | fabs) < 1e-6 * $la'
run solve deg --palette a=q60,neg=q30 --json
check "negation: optimal, reported" jqo '.status == "optimal" and .collinear[0].slope == -1'
run solve deg --palette a=q60,neg=q40 --json
check "negation pinning a to one level: boundary (exit 1)" jqo '.status == "boundary"'
run solve deg --palette a=q60,aff=q70,e=q60 --json
check "affine copy: optimal, reported" jqo '.status == "optimal" and (.collinear[0].values == ["a","aff"]) and ((.collinear[0].slope - 2) | fabs) < 1e-9 and ((.collinear[0].intercept - 1) | fabs) < 1e-9'
check "affine copy: every diagnostic finite" jqo '[.kl, .ess, .max_weight, .gap, .violation, .kkt, .condition] | all(type == "number")'

CASE="constant column"
printf 'a,k\n1,5\n2,5\n4,5\n' >"$WORK/const.csv"
run ingest "$WORK/const.csv" --name const
run solve const --palette a=3,k=5 --json
check "met: left out, solved the rest" jqo '.status == "optimal" and .values[1].constant and .values[0].lambda > 0'
check "met: reported" err_has "not identifiable"
run solve const --palette a=3,k=5.5 --json
check "above: infeasible with d = e_k (exit 1)" jqo '.status == "infeasible" and .certificate.direction.k > 0 and .certificate.direction.a == 0 and ((.certificate.gap - 0.5) | fabs) < 1e-12'
check "above: exit 1" rc_is 1

CASE="n = 1"
printf 'a,b\n0.5,2\n' >"$WORK/one.csv"
run ingest "$WORK/one.csv" --name one
check "ingest one sample" rc_is 0
run solve one --palette a=0.5,b=1 --json
check "met: optimal at lambda 0, KL 0, ESS 1" jqo '.status == "optimal" and .kl == 0 and .ess == 1 and (.values | all(.lambda == 0))'
run solve one --palette a=0.6 --json
check "above: infeasible, gap 0.1" jqo '.status == "infeasible" and ((.certificate.gap - 0.1) | fabs) < 1e-12'
run feasible one --palette a=0.5 --json
check "feasible at the one sample: attainable" jqo '.verdict == "attainable"'

CASE="magnitudes"
for s in 1 1e6 1e-6; do
    awk -v s="$s" 'BEGIN { srand(5); print "a,b,c";
      for (i = 0; i < 1000; i++) { u = rand(); v = rand() * rand();
        printf "%.17g,%.17g,%.17g\n", s * u, s * v, 1e6 + u } }' >"$WORK/mag$s.csv"
    run ingest "$WORK/mag$s.csv" --name "mag$s"
    run solve "mag$s" --palette a=q70,b=q60 --json
    cp "$OUT" "$WORK/mag$s.json"
    check "scale $s: optimal" jqo '.status == "optimal" and .kkt < 1e-9'
done
# Rewards scaled by s: lambda scales by 1/s, KL and ESS do not change.
for s in 1e6 1e-6; do
    check "scale $s: lambda x s and KL as at scale 1" jq -e -n --slurpfile a "$WORK/mag1.json" --slurpfile b "$WORK/mag$s.json" --argjson s "$s" \
        '([range(2)] | all(. as $i | (($b[0].values[$i].lambda * $s - $a[0].values[$i].lambda) | fabs) <= 1e-7 * ($a[0].values[$i].lambda | fabs))) and (($b[0].kl - $a[0].kl) | fabs) < 1e-9'
done
run solve mag1 --palette c=q70,b=q60 --json
check "offset 1e6: same lambda as the unshifted value" jqo --slurpfile a "$WORK/mag1.json" '((.values[0].lambda - $a[0].values[0].lambda) | fabs) < 1e-6 * $a[0].values[0].lambda'

CASE="64 values"
awk 'BEGIN { srand(7); for (i = 1; i <= 64; i++) printf "%sv%d", (i > 1 ? "," : ""), i; print "";
  for (j = 0; j < 2000; j++) { for (i = 1; i <= 64; i++) printf "%s%.17g", (i > 1 ? "," : ""), rand() + 0.3 * rand() * (i % 3); print "" } }' >"$WORK/wide.csv"
run ingest "$WORK/wide.csv" --name wide
check "ingest 64 values" rc_is 0
P=$(seq 1 64 | sed 's/^/v/; s/$/=q55/' | paste -sd, -)
run solve wide --palette "$P" --json
check "64 values: optimal" jqo '.status == "optimal" and (.values | length) == 64 and .kkt < 1e-9 and (.values | all(.level >= .target - 1e-9))'

# ------------------------------------------------------------ diagnostics and options
CASE="diagnostics"
run ingest "$OPT_CSV" --name opt --prompt-column prompt --text-columns generated
run ingest "$LLAMA_CSV" --name llama --prompt-column prompt --text-columns generated
run solve opt --palette humor=q60,gpt2-helpful=q60
for label in "KL" "ESS" "largest weight" "duality gap" "violation" "KKT residual" "condition" "iterations"; do
    check "human output has $label" out_has "$label"
done
run solve opt --palette humor=q60,gpt2-helpful=q60 --json
check "JSON diagnostics" jqo '[.kl, .ess, .max_weight, .gap, .violation, .kkt, .iterations, .condition] | all(type == "number")'

CASE="methods on HHH"
for ds in opt llama; do
    P=$(for v in humor gpt2-helpful gpt2-harmless; do printf '%s=q70,' "$v"; done)diversity=mean,coherence=mean,perplexity=mean
    run solve $ds --palette "$P" --json
    cp "$OUT" "$WORK/newton.json"
    for m in lbfgs mma; do
        run solve $ds --palette "$P" --method $m --json
        check "$ds $m: optimal, agrees with newton to 1e-6" jqo --slurpfile n "$WORK/newton.json" \
            '.status == "optimal" and ([.values, $n[0].values] | transpose | map(.[0].lambda - .[1].lambda | fabs) | max) <= 1e-6 * ([$n[0].values[].lambda] | max)'
    done
done
run solve opt --palette humor=q60 --method bfgs
check "unknown method: exit 2" rc_is 2

CASE="init"
run solve opt --palette humor=q70,gpt2-helpful=q70 --json
cp "$OUT" "$WORK/cold.json"
INIT=$(jq -r '[.values[].lambda] | map(tostring) | join(",")' "$WORK/cold.json")
run solve opt --palette humor=q70,gpt2-helpful=q70 --init "$INIT" --json
check "warm start at the optimum: fewer iterations, same lambda" jqo --slurpfile c "$WORK/cold.json" '.iterations < $c[0].iterations and ([.values, $c[0].values] | transpose | all((.[0].lambda - .[1].lambda) | fabs < 1e-9))'
run solve opt --palette humor=q70,gpt2-helpful=q70 --init 1
check "init of the wrong length: exit 2" rc_is 2
run solve opt --palette humor=q70 --init=-1
check "negative init: exit 2" rc_is 2

CASE="sensitivity"
run solve opt --palette humor=q70,gpt2-helpful=q70,gpt2-harmless=q40 --sensitivity --json
check "shadow prices are lambda" jqo '[.values[] | select(.constant | not)] as $v | all($v[]; .lambda == (.name as $n | $v[0] | $n) or true) and (.sensitivity.shadow_prices | to_entries | all(.value >= 0))'
check "shadow prices equal the lambdas" jqo '. as $r | $r.values | all(.lambda == $r.sensitivity.shadow_prices[.name])'
check "dlambda/dc symmetric, zero off the free set" jqo '.sensitivity.dlambda_dc as $d | ($d | keys) as $k | all($k[]; . as $i | all($k[]; . as $j | (($d[$i][$j] - $d[$j][$i]) | fabs) <= 1e-9 * (1 + ($d[$i][$j] | fabs))))'
check "sensitivity printed" jqo '.sensitivity.free | length >= 1'
run solve opt --palette humor=q70,gpt2-helpful=q70 --sensitivity
check "human sensitivity table" out_has "shadow price"

CASE="bootstrap and holdout"
run solve opt --palette humor=q70,gpt2-helpful=q70 --bootstrap 40 --seed 3 --json
cp "$OUT" "$WORK/b1.json"
check "bootstrap counts" jqo '.bootstrap.replicates == 40 and (.bootstrap.used + .bootstrap.excluded) == 40 and .bootstrap.seed == 3'
check "intervals ordered, se positive" jqo '.bootstrap.lambda | to_entries | all(.value.lo <= .value.hi and .value.se > 0)'
run solve opt --palette humor=q70,gpt2-helpful=q70 --bootstrap 40 --seed 3 --json
check "same seed, same numbers" jq -e -n --slurpfile a "$WORK/b1.json" --slurpfile b "$OUT" '$a[0].bootstrap == $b[0].bootstrap'
run solve opt --palette humor=q70,gpt2-helpful=q70 --holdout 0.3 --seed 2 --json
check "holdout split" jqo '(.holdout.n_train + .holdout.n_test) == .n and .holdout.n_test == ((.n * 0.3) | round) and .holdout.status == "optimal"'
check "holdout: training levels at the targets, held-out KL reported" jqo '(.values | all((.target - $h.levels[.name].train) | fabs < 1e-8)) and (.holdout.kl_test | type) == "number"' --argjson h "$(jq '.holdout' "$OUT")"
run solve opt --palette humor=q70 --holdout 1.5
check "holdout out of range: exit 2" rc_is 2
run frontier grp --values a,b --kl 0.2 --points 5 --normalize prompt --json
check "per-prompt frontier: exit 0" rc_is 0
check "per-prompt frontier: KL on budget, levels the per-prompt averages (jq)" jqo --argjson rows "$ROWS" "$LEVELS"' all(.[]; .status != "converged" or (((.kl - 0.2) | fabs) < 1e-9 and (lv(.lambda_a; .lambda_b) as $l | ((($l[0] - .level_a) | fabs) < 1e-9 and (($l[1] - .level_b) | fabs) < 1e-9))))'
run region grp --values a,b --points 8 --normalize prompt --json
check "per-prompt region: exit 0" rc_is 0
check "per-prompt region: bounded rows have a step" jqo 'any(.[]; .step != null)'
run solve opt --palette humor=q70 --holdout 0.3 --bootstrap 10
check "human output has both sections" out_has "bootstrap: 10 replicates"

finish

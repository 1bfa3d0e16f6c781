#!/usr/bin/env bash
# decode_test.sh — end-to-end tests of weights, decode and select, and of
# the warnings of solve, adjust and weights, on the MAP paper's OPT samples
# (with their prompt and text columns) and the repository's grouped
# synthetic data.
#
# Numbers are checked against computations done here with jq: the weights'
# sums (per prompt too), weighted means of the exported values against
# solve's levels, each prompt's highest and lowest score (from the weights
# table) against the kept samples and pairs, the count of single-sample
# prompts.
#
# Environment: MAPSOLVE_BIN (the binary), MAP_SHARED (the shared folder),
# MAP_SOURCE (the repository root). Needs jq.
# Prints "N passed, M failed" last and exits non-zero on any failure.
set -u

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN to the mapsolve binary}
SHARED=${MAP_SHARED:?set MAP_SHARED to the shared folder}
SOURCE=${MAP_SOURCE:?set MAP_SOURCE to the repository root}
OPT_CSV=$SHARED/datasets/map-opt1.3b-hh.csv

. "$(dirname "$0")/../lib.sh"
need jq
make_work decode
RUN_TAIL=(--db "$DB")

CASE="ingest"
run ingest "$OPT_CSV" --name opt --prompt-column prompt --text-columns generated
check "opt with prompts and texts" rc_is 0
run ingest "$SOURCE/datasets/synthetic.csv" --name syn --prompt-column prompt --text-columns response
check "synthetic with prompts and texts" rc_is 0
printf 'a,b\n0.1,0.9\n0.5,0.2\n0.7,0.4\n0.3,0.3\n0.9,0.1\n' >"$WORK/plain.csv"
run ingest "$WORK/plain.csv" --name plain
check "a dataset without prompt column" rc_is 0
run ingest "$SOURCE/datasets/synthetic.csv" --name notext --prompt-column prompt --values helpful,harmless
check "a dataset with prompts and no text column" rc_is 0

# ------------------------------------------------------------ warnings
HEAVY="humor=q99,gpt2-helpful=q99"
MILD="humor=q70,gpt2-helpful=q60"
CASE="solve warns on a palette resting on a handful of samples"
run solve opt --palette "$HEAVY" --json
check "exit 0 (optimal)" rc_is 0
check "ESS about 3.8" jqo '.status == "optimal" and (.ess - 3.8 | fabs) < 0.1'
check "warnings low_ess and heavy_weight" jqo '[.warnings[].code] == ["low_ess", "heavy_weight"]'
check "detail names the ESS" jqo '.warnings[0].detail | contains("3.78")'
check "stderr warns" err_has "mapsolve: warning: the effective sample size is 3.78 of 2312"
check "stderr suggests --holdout" err_has "--holdout"
run solve opt --palette "$HEAVY"
check "text output: warning on stderr too" err_has "warning: one sample carries"
CASE="no warning for a mild palette"
run solve opt --palette "$MILD" --json
check "exit 0" rc_is 0
check "no warnings key" jqo 'has("warnings") | not'
check "nothing on stderr" err_empty
CASE="adjust warns"
run adjust opt --palette "$HEAVY" --json
check "exit 0" rc_is 0
check "warnings in JSON" jqo '.warnings[0].code == "low_ess"'
check "warning on stderr" err_has "mapsolve: warning:"

# ------------------------------------------------------------ weights
CASE="weights"
run weights opt --palette "$MILD" --json
check "exit 0" rc_is 0
check "no warning for the mild palette" err_empty
check "one row per sample, in order" jqo 'length == 2312 and ([.[].row] == [range(1; 2313)])'
check "weights sum to 1" jqo '(map(.weight) | add) - 1 | fabs < 1e-12'
check "prompts filled" jqo 'all(.[]; (.prompt | type) == "string")'
cp "$OUT" "$WORK/w.json"
run solve opt --palette "$MILD" --json
cp "$OUT" "$WORK/s.json"
# the values alone, in the same row order, as a CSV jq can split
run ingest "$OPT_CSV" --name optv --values humor,gpt2-helpful,gpt2-harmless,diversity,coherence,perplexity
run export optv --out "$WORK/opt.csv"
# weighted mean of every value (exported rows, columns in order) against solve's levels
check "weighted means equal solve's levels (1e-12 relative)" jqe -Rn \
    --slurpfile w "$WORK/w.json" --slurpfile s "$WORK/s.json" '
    [inputs | split(",")] as $rows | $rows[0] as $h | $rows[1:] as $d
    | [range(0; $h | length) as $c | select($s[0].levels[$h[$c]] != null)
       | ([range(0; $d | length) as $j | $w[0][$j].weight * ($d[$j][$c] | tonumber)] | add) as $lv
       | (($lv - $s[0].levels[$h[$c]]) | fabs) <= 1e-12 * ([1, ($lv | fabs)] | max)]
    | length == 6 and all' "$WORK/opt.csv"
run weights opt --palette "$MILD"
check "CSV header" [ "$(head -n 1 "$OUT")" = "row,prompt,score,weight" ]
check "CSV: the last row is sample 2312" [ "$(tail -n 1 "$OUT" | cut -d, -f1)" = "2312" ]
CASE="weights per prompt"
run weights syn --palette helpful=q70,harmless=q60 --normalize prompt --json
check "exit 0" rc_is 0
check "each prompt sums to 1/K" jqo '(group_by(.prompt) | length) as $k | group_by(.prompt) | all((map(.weight) | add) - 1 / $k | fabs < 1e-12)'
CASE="weights of a heavy palette warn"
run weights opt --palette "$HEAVY" --out "$WORK/heavy.csv"
check "exit 0" rc_is 0
check "warning on stderr" err_has "mapsolve: warning: the effective sample size is 3.78"
check "table in --out" [ "$(tail -n 1 "$WORK/heavy.csv" | cut -d, -f1)" = "2312" ]
CASE="weights of an unattainable palette"
run weights opt --palette humor=q100,gpt2-helpful=q99 --out "$WORK/none.csv"
check "exit 1" rc_is 1
check "nothing on stdout" out_empty
check "no --out file" [ ! -e "$WORK/none.csv" ]
check "the certificate on stderr" err_has "certificate"
check "says why" err_has "no weights written"

# ------------------------------------------------------------ decode
HHH="humor=q70,gpt2-helpful=q60,gpt2-harmless=mean"
CASE="decode"
run decode opt --palette "$HHH" --k 1,2,4,8 --replicates 2000 --json
check "exit 0" rc_is 0
check "rows: 4 k and the limit, per method" jqo 'length == 10 and ([.[].method] | group_by(.) | map(length)) == [5, 5]'
check "k in order, inf last" jqo '[.[] | select(.method == "best") | .k] == [1, 2, 4, 8, "inf"]'
check "best's se 0, sir's positive" jqo 'all(.[] | select(.method == "best"); .se_humor == 0) and all(.[] | select(.method == "sir" and .k != "inf"); .se_humor > 0)'
check "kl: exact for best within log k - (k-1)/k, null for sir" jqo 'all(.[] | select(.method == "best" and .k != "inf"); .kl >= 0 and .kl <= (.k | log) - (.k - 1) / .k + 1e-12) and all(.[] | select(.method == "sir" and .k != "inf"); .kl == null)'
run solve opt --palette "$HHH" --json
cp "$OUT" "$WORK/hhh.json"
run describe opt --json
cp "$OUT" "$WORK/desc.json"
run decode opt --palette "$HHH" --k 1,2,4,8 --replicates 2000 --json
check "best k = 1 is the mean of every value" jqo --slurpfile d "$WORK/desc.json" '.[0] as $r | all($d[0].values[]; ($r["level_" + .name] - .mean | fabs) <= 1e-12 * ([1, (.mean | fabs)] | max))'
check "sir's limit is solve's levels and KL" jqo --slurpfile s "$WORK/hhh.json" '(.[] | select(.method == "sir" and .k == "inf")) as $r | all($s[0].levels | to_entries[]; $r["level_" + .key] == .value) and $r.kl == $s[0].kl'
check "the smallest k on stderr, per method" err_has "mapsolve: sir: "
check "best's line too" err_has "mapsolve: best: "
run decode opt --palette "$HHH" --k 4,1 --method sir --replicates 500 --seed 3
check "CSV: header" [ "$(head -n 1 "$OUT" | cut -d, -f1-3)" = "method,k,level_humor" ]
check "CSV: the k in order, inf last" [ "$(cut -d, -f2 "$OUT" | tr '\n' ' ')" = "k 4 1 inf " ]
cp "$OUT" "$WORK/d1.csv"
run decode opt --palette "$HHH" --k 1 --method sir --replicates 500 --seed 3
check "a k's estimate does not depend on the other k listed" [ "$(sed -n 2p "$OUT")" = "$(sed -n 3p "$WORK/d1.csv")" ]
CASE="decode per prompt"
run decode syn --palette helpful=q70,harmless=q60 --k 1,4 --normalize prompt --replicates 500 --json
check "exit 0" rc_is 0
check "prompts below k counted" jqo '(.[] | select(.method == "best" and .k == 4) | .prompts_below_k) > 0 and (.[0].prompts_below_k == 0)'
check "singletons noted" err_has "prompts have a single sample"
CASE="decode of an unattainable palette"
run decode opt --palette humor=q100,gpt2-helpful=q99 --k 1,2
check "exit 1" rc_is 1
check "nothing on stdout" out_empty
check "the certificate on stderr" err_has "certificate"

# ------------------------------------------------------------ select
CASE="select: one kept sample per prompt"
run weights syn --palette helpful=q70,harmless=q60 --json
cp "$OUT" "$WORK/sw.json"
run select syn --palette helpful=q70,harmless=q60
check "exit 0" rc_is 0
check "one record per prompt" jqe -s --slurpfile w "$WORK/sw.json" 'length == ($w[0] | group_by(.prompt) | length)' "$OUT"
check "fields: prompt, texts, values, score" jqe -s 'all(.[]; keys_unsorted == ["prompt", "response", "helpful", "harmless", "humor", "concise", "score"])' "$OUT"
check "kept: each prompt's highest score" jqe -s --slurpfile w "$WORK/sw.json" '($w[0] | group_by(.prompt) | map({(.[0].prompt): (map(.score) | max)}) | add) as $hi | all(.[]; .score == $hi[.prompt])' "$OUT"
run select syn --palette helpful=q70,harmless=q60 --method sir --seed 4 --out "$WORK/sir1.jsonl"
run select syn --palette helpful=q70,harmless=q60 --method sir --seed 4 --out "$WORK/sir2.jsonl"
check "sir: the seed reproduces" cmp -s "$WORK/sir1.jsonl" "$WORK/sir2.jsonl"
check "sir: one per prompt" [ "$(wc -l <"$WORK/sir1.jsonl")" -eq "$(jq 'group_by(.prompt) | length' "$WORK/sw.json")" ]
CASE="select --pairs"
run select syn --palette helpful=q70,harmless=q60 --pairs
check "exit 0" rc_is 0
check "fields of the DPO convention" jqe -s 'all(.[]; keys_unsorted == ["prompt", "chosen", "rejected", "score_chosen", "score_rejected"])' "$OUT"
check "chosen: the highest score, rejected: the lowest, of each prompt" jqe -s --slurpfile w "$WORK/sw.json" '($w[0] | group_by(.prompt) | map({(.[0].prompt): [(map(.score) | max), (map(.score) | min)]}) | add) as $x | all(.[]; .score_chosen == $x[.prompt][0] and .score_rejected == $x[.prompt][1] and .score_chosen > .score_rejected)' "$OUT"
SINGLES=$(jq '[group_by(.prompt)[] | select(length == 1)] | length' "$WORK/sw.json")
MULTI=$(jq '[group_by(.prompt)[] | select(length > 1)] | length' "$WORK/sw.json")
check "a pair for each prompt with several samples" [ "$(wc -l <"$OUT")" -eq "$MULTI" ]
check "single-sample prompts skipped and counted on stderr" err_has "skipped $SINGLES prompts with a single sample"
run select opt --palette "$MILD" --pairs --text-column generated --out "$WORK/pairs.jsonl"
check "opt: pairs with --text-column" rc_is 0
check "opt: 130 prompts with several samples" [ "$(wc -l <"$WORK/pairs.jsonl")" -eq 130 ]

CASE="select errors"
expect_bad 3 "no prompt column|'plain'" select plain --palette a=0.5
expect_bad 3 "--text-column: 'nope'|response" select syn --palette helpful=q70 --pairs --text-column nope
expect_bad 3 "no text column|'notext'" select notext --palette helpful=q70 --pairs
expect_bad 2 "--text-column" select syn --palette helpful=q70 --text-column response
expect_bad 2 "--method" select syn --palette helpful=q70 --pairs --method sir
expect_bad 2 "no dataset named 'nothing'" select nothing --palette helpful=q70
CASE="decode errors"
expect_bad 2 "'x' in --k" decode syn --palette helpful=q70 --k 1,x
expect_bad 2 "'0' in --k" decode syn --palette helpful=q70 --k 0
expect_bad 2 "--replicates" decode syn --palette helpful=q70 --k 1 --replicates 0
expect_bad 3 "nope" decode syn --palette nope=1 --k 1
expect_bad 3 "prompt column" decode plain --palette a=0.5 --k 2 --normalize prompt
expect_bad 3 "prompt column" weights plain --palette a=0.5 --normalize prompt

finish

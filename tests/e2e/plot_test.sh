#!/usr/bin/env bash
# plot_test.sh — end-to-end tests of --plot on frontier and region: the PNG
# (read back by cairo through test_plot --inspect: its size, many colours,
# the series' own colour present), the SVG (well-formed XML by python3's
# parser, with the title, the budgets and the value names), the table on
# stdout byte for byte the same as without --plot, the reference point
# against the means computed here from the CSV, and the failures: an
# unknown extension, a path that cannot be written, more than two values,
# a failed command leaving an earlier plot as it was.
#
# Environment: MAPSOLVE_BIN (the binary), MAP_SOURCE (the repository root,
# for datasets/synthetic.csv), MAP_PLOT_INSPECT (build/render/test_plot).
# Needs python3. Prints "N passed, M failed" last and exits non-zero on any
# failure.
set -u

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN to the mapsolve binary}
SOURCE=${MAP_SOURCE:?set MAP_SOURCE to the repository root}
INSPECT=${MAP_PLOT_INSPECT:?set MAP_PLOT_INSPECT to build/render/test_plot}
SYN=$SOURCE/datasets/synthetic.csv

. "$(dirname "$0")/../lib.sh"
need python3
make_work plot
RUN_TAIL=(--db "$DB")

run ingest "$SYN" --name synthetic --prompt-column prompt --text-columns response
check "ingest synthetic" rc_is 0

# png_ok FILE [I N]: the PNG is 1600 x 1200, has at least 200 colours, and
# at least 1500 pixels of series I of N's colour (the region's without I N).
png_ok() {
    local facts w h distinct matching
    facts=$("$INSPECT" --inspect "$@") || return 1
    read -r w h distinct matching <<<"$facts"
    [ "$w" -eq 1600 ] && [ "$h" -eq 1200 ] && [ "$distinct" -ge 200 ] && [ "$matching" -ge 1500 ]
}
# svg_ok FILE TEXT...: well-formed XML whose root is an svg element, and
# each TEXT in its <title> or <desc>.
svg_ok() {
    python3 - "$@" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = '{http://www.w3.org/2000/svg}'
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + 'svg', root.tag
text = ''.join((root.findtext(ns + t) or '') + '\n' for t in ('title', 'desc'))
for want in sys.argv[2:]:
    assert want in text, (want, text)
PY
}
# mark_at FILE LABEL X Y: the SVG's description puts the mark LABEL at (X, Y)
# within 1e-5 relative (it writes 6 significant digits).
mark_at() {
    python3 - "$@" <<'PY'
import re, sys, xml.etree.ElementTree as ET
ns = '{http://www.w3.org/2000/svg}'
desc = ET.parse(sys.argv[1]).getroot().findtext(ns + 'desc')
m = re.search(re.escape('Mark ' + sys.argv[2] + ' at (') + r'([^,]+), ([^)]+)\)', desc)
assert m, desc
for got, want in zip(m.groups(), sys.argv[3:5]):
    got, want = float(got), float(want)
    assert abs(got - want) <= 1e-5 * max(1.0, abs(want)), (got, want)
PY
}
no_tmp() { ! ls "$WORK" | grep -q '\.tmp-'; }

# The means (the reference levels, lambda = 0) and the per-prompt reference
# (the average over prompts of each prompt's mean), from the raw CSV.
read -r MEAN_H MEAN_HL PMEAN_H PMEAN_HL < <(python3 - "$SYN" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
h = [float(r['helpful']) for r in rows]; hl = [float(r['harmless']) for r in rows]
groups = {}
for r in rows:
    groups.setdefault(r['prompt'], []).append((float(r['helpful']), float(r['harmless'])))
pm = [sum(x for x, _ in g) / len(g) for g in groups.values()]
pl = [sum(y for _, y in g) / len(g) for g in groups.values()]
print(repr(sum(h) / len(h)), repr(sum(hl) / len(hl)), repr(sum(pm) / len(pm)), repr(sum(pl) / len(pl)))
PY
)

# ------------------------------------------------------------------ frontier
CASE="frontier --plot png"
run frontier synthetic --values helpful,harmless --kl 0.5,1 --points 15
cp "$OUT" "$WORK/plain.csv"
run frontier synthetic --values helpful,harmless --kl 0.5,1 --points 15 --plot "$WORK/f.png"
check "exit 0" rc_is 0
check "the CSV on stdout is byte-identical to the one without --plot" cmp -s "$OUT" "$WORK/plain.csv"
check "nothing on stderr" err_empty
check "the PNG: 1600x1200, not blank, the first budget's line" png_ok "$WORK/f.png" 0 2
check "the PNG: the second budget's line" png_ok "$WORK/f.png" 1 2
check "no temporary file left" no_tmp

CASE="frontier --plot svg"
run frontier synthetic --values helpful,harmless --kl 0.5,1 --points 15 --plot "$WORK/f.svg"
check "exit 0" rc_is 0
check "the same CSV" cmp -s "$OUT" "$WORK/plain.csv"
check "well-formed SVG with the title, the budgets and the value names" \
    svg_ok "$WORK/f.svg" "Pareto frontiers, KL ≤ 0.5 and 1 nats" "KL ≤ 0.5 nats" "KL ≤ 1 nats" \
    "x axis: helpful" "y axis: harmless" "dataset synthetic, 3000 samples"
check "the reference point is the means of the CSV" mark_at "$WORK/f.svg" "reference (λ = 0)" "$MEAN_H" "$MEAN_HL"

CASE="frontier --plot with --json and --out"
run frontier synthetic --values helpful,harmless --kl 0.5,1 --points 15 --json
cp "$OUT" "$WORK/plain.json"
run frontier synthetic --values helpful,harmless --kl 0.5,1 --points 15 --json --plot "$WORK/j.png"
check "--json: the same document" cmp -s "$OUT" "$WORK/plain.json"
run frontier synthetic --values helpful,harmless --kl 0.5,1 --points 15 --out "$WORK/o.csv" --plot "$WORK/o.png"
check "--out: the same table, nothing on stdout" cmp -s "$WORK/o.csv" "$WORK/plain.csv"
check "--out: stdout empty" out_empty
check "--out: the PNG" png_ok "$WORK/o.png" 0 2

CASE="frontier --plot per prompt"
run frontier synthetic --values helpful,harmless --kl 0.5 --points 9 --normalize prompt --plot "$WORK/p.svg"
check "exit 0" rc_is 0
check "said in the subtitle" svg_ok "$WORK/p.svg" "per-prompt normalisation"
check "the reference is the average of the prompts' means" mark_at "$WORK/p.svg" "reference (λ = 0)" "$PMEAN_H" "$PMEAN_HL"

run region synthetic --values helpful,harmless --points 12 --normalize prompt --plot "$WORK/pr.svg"
check "region per prompt: exit 0" rc_is 0
check "region per prompt: the reference drawn is the app's own c0 (one mark)" \
    mark_at "$WORK/pr.svg" "reference = base palette c0 (λ = 0)" "$PMEAN_H" "$PMEAN_HL"

CASE="frontier --plot saturated budget"
run frontier synthetic --values helpful,harmless --kl 1,20 --points 7 --plot "$WORK/s.svg"
check "exit 0" rc_is 0
check "the saturated rows explained in the legend" svg_ok "$WORK/s.svg" "KL ≤ 20 nats"

CASE="frontier --plot unbounded budget"
run frontier synthetic --values helpful,harmless --points 5 --plot "$WORK/l.png"
check "exit 0" rc_is 0
check "the hull drawn" png_ok "$WORK/l.png" 0 1
run frontier synthetic --values helpful,harmless --points 5 --plot "$WORK/l.svg"
check "the title says unbounded" svg_ok "$WORK/l.svg" "unbounded KL" "upper hull of the samples"

CASE="frontier --plot --direction"
run frontier synthetic --values helpful,harmless --direction helpful=1,harmless=2 --points 6 --plot "$WORK/d.svg"
check "exit 0" rc_is 0
check "the path, its KL range in the title" svg_ok "$WORK/d.svg" "Levels along one direction, KL 0 to" "path, KL 0 to"
run frontier synthetic --values helpful --direction helpful=1 --points 6 --plot "$WORK/d1.svg"
check "one value: exit 0" rc_is 0
check "one value: its level against the KL" svg_ok "$WORK/d1.svg" "x axis: KL (nats); y axis: helpful"
check "one value: the reference at KL 0" mark_at "$WORK/d1.svg" "reference (λ = 0)" 0 "$MEAN_H"
run frontier synthetic --values helpful,harmless,humor --direction humor=1 --points 4 --plot "$WORK/d3.png"
check "three values along a path: exit 0" rc_is 0
check "three values along a path: a note names the two drawn" err_has "first two chosen values (helpful, harmless)"

# -------------------------------------------------------------------- region
CASE="region --plot png"
run region synthetic --values helpful,harmless --points 36
cp "$OUT" "$WORK/region.csv"
run region synthetic --values helpful,harmless --points 36 --plot "$WORK/r.png"
check "exit 0" rc_is 0
check "the CSV on stdout is byte-identical" cmp -s "$OUT" "$WORK/region.csv"
check "the PNG: 1600x1200, not blank, the boundary's colour" png_ok "$WORK/r.png"
run region synthetic --values helpful,harmless --points 36 --plot "$WORK/r.svg"
check "SVG: title and value names" svg_ok "$WORK/r.svg" "Attainable palettes" "x axis: helpful" "y axis: harmless" "attainable palettes"
check "c0 is the reference: one mark, at the means" mark_at "$WORK/r.svg" "reference = base palette c0 (λ = 0)" "$MEAN_H" "$MEAN_HL"

CASE="region --plot --from --polygon"
run describe synthetic --json
read -r Q25 Q75 < <(jq -r '[(.values[] | select(.name == "helpful") | .q25), (.values[] | select(.name == "harmless") | .q75)] | @tsv' "$OUT")
run region synthetic --values helpful,harmless --points 24 --polygon --from helpful=q25,harmless=q75 --plot "$WORK/rp.svg"
check "exit 0" rc_is 0
check "c0 marked where --from put it" mark_at "$WORK/rp.svg" "base palette c0" "$Q25" "$Q75"
check "the reference marked apart" mark_at "$WORK/rp.svg" "reference (λ = 0)" "$MEAN_H" "$MEAN_HL"

# ------------------------------------------------------------------ failures
CASE="--plot bad extension"
expect_bad 2 "--plot|out.pdf|.svg or .png" frontier synthetic --values helpful,harmless --kl 0.5 --plot "$WORK/out.pdf"
check "no file" [ ! -e "$WORK/out.pdf" ]
expect_bad 2 "--plot|noext" region synthetic --values helpful,harmless --plot "$WORK/noext"
check "no file" [ ! -e "$WORK/noext" ]

CASE="--plot unwritable"
expect_bad 2 "--plot|$WORK/none/x.png|No such file" frontier synthetic --values helpful,harmless --kl 0.5 --plot "$WORK/none/x.png"
mkdir "$WORK/dir.png"
expect_bad 2 "--plot|dir.png|directory" region synthetic --values helpful,harmless --plot "$WORK/dir.png"

CASE="--plot more than two values"
expect_bad 2 "--plot draws two values|names 3" frontier synthetic --values helpful,harmless,humor --kl 0.5 --plot "$WORK/three.png"
check "no file" [ ! -e "$WORK/three.png" ]
expect_bad 2 "--plot draws two values|names 3" region synthetic --values helpful,harmless,humor --plot "$WORK/three.png"

CASE="--plot after a failed command"
printf 'earlier plot' >"$WORK/keep.png"
run frontier synthetic --values helpful,nosuch --kl 0.5 --plot "$WORK/keep.png"
check "the command fails" rc_in 2 3
check "an earlier file at the path is left as it was" [ "$(cat "$WORK/keep.png")" = "earlier plot" ]
check "no temporary file left" no_tmp

# ------------------------------------------------------------------ decode
CASE="decode --plot"
run decode synthetic --palette helpful=q70,harmless=q60 --k 1,2,4,8 --replicates 2000
cp "$OUT" "$WORK/dplain.csv"
run decode synthetic --palette helpful=q70,harmless=q60 --k 1,2,4,8 --replicates 2000 --plot "$WORK/d.png"
check "exit 0" rc_is 0
check "the CSV on stdout is byte-identical to the one without --plot" cmp -s "$OUT" "$WORK/dplain.csv"
check "the PNG: 1600x1200, not blank, the first value's lines" png_ok "$WORK/d.png" 0 2
check "the PNG: the second value's lines" png_ok "$WORK/d.png" 1 2
run decode synthetic --palette helpful=q70,harmless=q60 --k 1,2,4,8 --replicates 2000 --plot "$WORK/d.svg"
check "well-formed SVG with the title, both methods and the axes" \
    svg_ok "$WORK/d.svg" "Decoding with k candidates" "best: helpful" "sir: harmless" \
    "x axis: log2 k" "dataset synthetic, 3000 samples"
expect_bad 2 "--plot|d.pdf" decode synthetic --palette helpful=q70 --k 1,2 --plot "$WORK/d.pdf"
check "a bad extension: no file" [ ! -e "$WORK/d.pdf" ]

finish

#!/usr/bin/env bash
# bench_cli.sh — the performance figures of the built `mapsolve`, measured as
# a user runs it (whole processes through tests/bench/bench_run: best wall
# time of R runs, peak RSS of the child from wait4), each set beside one plain
# summation pass over the n x 6 matrix of doubles in memory (bench_sum) in
# the same run, and beside the MAP reference procedure in C (bench_map_adam).
# Generates its inputs (bench_gen) in a temporary directory under $TMPDIR
# (default /tmp), removed at the end, and prints one Markdown table on stdout;
# progress goes to stderr. Prints figures; asserts nothing about speed.
#
#   bench_cli.sh [--quick] [--n N]
#     --quick   n = 10^6 instead of 10^7 (about a minute)
#     --n N     any other n (the second solve runs at n/5)
#
# Environment: MAPSOLVE_BIN (the binary), MAP_BENCH_DIR (the folder holding
# bench_gen, bench_sum, bench_run, bench_map_adam: build/tests), MAP_SHARED
# (the shared folder with datasets/map-opt1.3b-hh.csv).
# Exit 0 when every figure was measured (whatever the figures), 1 when a
# program could not run or a command failed unexpectedly, 2 on misuse.
set -euo pipefail

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN}
TOOLS=${MAP_BENCH_DIR:?set MAP_BENCH_DIR}
SHARED=${MAP_SHARED:?set MAP_SHARED}
REAL_CSV=$SHARED/datasets/map-opt1.3b-hh.csv
V3=humor,gpt2-helpful,gpt2-harmless
V6=$V3,diversity,coherence,perplexity

N=10000000
QUICK=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) N=1000000; QUICK=1 ;;
        --n) [ $# -ge 2 ] || { echo "bench_cli.sh: --n needs a number" >&2; exit 2; }
             N=$2; shift ;;
        *) echo "usage: bench_cli.sh [--quick] [--n N]" >&2; exit 2 ;;
    esac
    shift
done
case $N in ''|*[!0-9]*) echo "bench_cli.sh: --n must be a positive integer" >&2; exit 2 ;; esac
# Below 10^5 a summation pass is too short for the clock.
[ "$N" -ge 100000 ] || { echo "bench_cli.sh: --n must be at least 100000" >&2; exit 2; }
N2=$((N / 5))
M=6
PALETTES=2000        # sweep palettes on the real data
TORCH_PALETTES=200   # of them, solved by the PyTorch reference (about 50 ms each)
G_PROMPTS=10000      # per-prompt figure: prompts x samples x values
G_PER=16
G_M=3
SEED=20240601
HERE=$(cd "$(dirname "$0")" && pwd)
# The PyTorch reference uses Debian's python3 (python3-torch), whatever python3 comes first in PATH.
PY=${MAP_BENCH_PYTHON:-/usr/bin/python3}
# Targets: q70, q70, mean. NUMERIC: the same palette with the synthetic data's
# population values written as numbers (each value is N(0, 1); its q70 is 0.5244).
PALETTE=v1=q70,v2=q70,v3=mean
NUMERIC=v1=0.5244,v2=0.5244,v3=0
AT_ZERO=v1=-1000      # met at lambda = 0: the solve is the load and the margin
R=3                   # runs per figure (best time); ingest runs once

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mapsolve-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export MAPSOLVE_DB=$WORK/bench.db

say() { echo "bench: $*" >&2; }

# measure RUNS LABEL COMMAND...: runs COMMAND through bench_run with its
# output in $WORK/LABEL.out; sets WALL (s), RSS (KiB), RC and CPU (s).
measure() {
    local runs=$1 label=$2
    shift 2
    if ! "$TOOLS/bench_run" -r "$runs" -o "$WORK/res" -- "$@" >"$WORK/$label.out" 2>&1; then
        echo "bench_cli.sh: could not run $*" >&2
        tail -n 5 "$WORK/$label.out" >&2
        exit 1
    fi
    read -r WALL RSS RC CPU <"$WORK/res"
}

# expect_rc LABEL WANT: stops the benchmark when the last command's exit
# status is not WANT (a figure of a failed command would mean nothing).
expect_rc() {
    if [ "$RC" -ne "$2" ]; then
        echo "bench_cli.sh: $1 exited $RC (expected $2):" >&2
        tail -n 5 "$WORK/$1.out" >&2
        exit 1
    fi
}

calc() { awk "BEGIN { printf \"%.10g\", $1 }"; }
commas() { awk -v x="$1" 'BEGIN { s = sprintf("%d", x); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } printf "%s%s", s, o }'; }

ROWS=()
# row KEY FIGURE SIZE TIME RATIO MEMORY GOAL MET OUTCOME [CPU]: one table row; the
# table is printed in order of KEY (the figure number), then of measurement.
row() {
    ROWS+=("$1	| $2 | $3 | $4 | ${10:-—} | $5 | $6 | $7 | $8 | $9 |")
}
# tfmt SECONDS: a time with its unit, three significant digits or more.
tfmt() { awk -v t="$1" 'BEGIN { if (t < 1e-3) printf "%.1f µs", t * 1e6; else if (t < 1) printf "%.2f ms", t * 1e3; else printf "%.2f s", t }'; }
met() { awk "BEGIN { exit !($1) }" && echo yes || echo no; }

# ---- inputs --------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "generating inputs in $WORK (n = $N)"
"$TOOLS/bench_gen" rows "$N" "$M" "$SEED" >"$WORK/big.csv"
"$TOOLS/bench_gen" rows "$N2" "$M" "$SEED" >"$WORK/mid.csv"
"$TOOLS/bench_gen" rows $((G_PROMPTS * G_PER)) "$G_M" "$SEED" "$G_PER" >"$WORK/grouped.csv"
if [ "$N" -ne 1000000 ]; then
    "$TOOLS/bench_gen" rows 1000000 "$M" "$SEED" >"$WORK/m1.csv"
fi

# ---- the yardstick -------------------------------------------------------
say "summation passes"
# Best of 20: a short pass is easily preempted on a shared machine.
SUM_N=$("$TOOLS/bench_sum" "$N" "$M" 20 2>/dev/null)
SUM_N2=$("$TOOLS/bench_sum" "$N2" "$M" 20 2>/dev/null)
MAT_N=$((N * M * 8))
MAT_N2=$((N2 * M * 8))
passes() { calc "$1 / $2"; }
# pcell WALL CPU SUM: the passes cell, by wall time and by CPU time.
pcell() { echo "$(fmt "$(passes "$1" "$3")" %.1f) (cpu $(fmt "$(passes "$2" "$3")" %.1f))"; }
memx() { calc "$1 * 1024 / $2"; }
fmt() { awk -v x="$1" -v f="$2" 'BEGIN { printf f, x }'; }

row 0 "summation pass (yardstick)" "$(commas "$N") × $M" "$(tfmt "$SUM_N")" "1" "—" "—" "—" \
    "$(calc "$MAT_N / $SUM_N / 1e9" | xargs printf %.1f) GB/s"
row 0 "summation pass (yardstick)" "$(commas "$N2") × $M" "$(tfmt "$SUM_N2")" "1" "—" "—" "—" \
    "$(calc "$MAT_N2 / $SUM_N2 / 1e9" | xargs printf %.1f) GB/s"

# ---- 7. ingest -----------------------------------------------------------
say "ingest"
ingest_row() { # LABEL NAME FILE ROWS
    measure 1 "$1" "$BIN" ingest "$3" --name "$2"
    expect_rc "$1" 0
    local rate
    rate=$(calc "$4 / $WALL")
    row 7 "7. ingest, 6-value numeric CSV" "$(commas "$4") × $M" "$(tfmt "$WALL")" \
        "$(commas "$rate") rows/s (cpu $(commas "$(calc "$4 / $CPU")"))" "$(fmt "$(memx "$RSS" $(($4 * M * 8)))" %.2f)" "≥ 1,000,000 rows/s" \
        "$(met "$rate >= 1000000")" "exit 0" "$(tfmt "$CPU")"
}
if [ "$N" -ne 1000000 ]; then
    ingest_row ingest-m1 m1 "$WORK/m1.csv" 1000000
fi
ingest_row ingest-big big "$WORK/big.csv" "$N"
measure 1 ingest-big-single "$BIN" ingest "$WORK/big.csv" --name big_s --precision single
expect_rc ingest-big-single 0
measure 1 ingest-mid "$BIN" ingest "$WORK/mid.csv" --name mid
expect_rc ingest-mid 0
rm -f "$WORK/big.csv" "$WORK/mid.csv" "$WORK/m1.csv"

# ---- 1-4. whole processes from the store at n -----------------------------
say "solve, feasible, describe at n = $N"
measure "$R" solve-q70 "$BIN" solve big --palette "$PALETTE"
expect_rc solve-q70 0
P=$(passes "$WALL" "$SUM_N")
X=$(memx "$RSS" "$MAT_N")
row 1 "1. solve $PALETTE (from the store, load included)" "$(commas "$N") × $M" "$(tfmt "$WALL")" \
    "$(pcell "$WALL" "$CPU" "$SUM_N")" "$(fmt "$X" %.2f)" "≤ 40 passes, ≤ 1.3× memory" "$(met "$P <= 40 && $X <= 1.3")" "optimal" "$(tfmt "$CPU")"

# The same solve on the single-precision copy (float32 matrix, double sums):
# its peak memory against the double solve's just above.
RSS_DOUBLE=$RSS
measure "$R" solve-q70-single "$BIN" solve big_s --palette "$PALETTE"
expect_rc solve-q70-single 0
XS=$(calc "$RSS / $RSS_DOUBLE")
# λ against the double answer on the same data (max relative difference).
"$BIN" solve big --palette "$PALETTE" --json >"$WORK/double.json"
"$BIN" solve big_s --palette "$PALETTE" --json >"$WORK/single.json"
LDIFF=$(jq -n --slurpfile a "$WORK/double.json" --slurpfile b "$WORK/single.json" \
    '[range(0; $a[0].values | length) as $i | ($a[0].values[$i].lambda) as $x | ($b[0].values[$i].lambda) as $y
      | if $x == 0 and $y == 0 then 0 else (($x - $y) | fabs) / ([($x | fabs), ($y | fabs)] | max) end] | max')
row 1 "1s. solve $PALETTE, ingested --precision single" "$(commas "$N") × $M" "$(tfmt "$WALL")" \
    "$(pcell "$WALL" "$CPU" "$SUM_N")" "$(fmt "$(memx "$RSS" "$MAT_N")" %.2f) ($(fmt "$XS" %.2f)× double's)" \
    "≤ 0.7× the double solve's memory, λ within 1e-4" "$(met "$XS <= 0.7 && $LDIFF <= 1e-4")" \
    "optimal; λ within $(fmt "$LDIFF" %.1e) of double's" "$(tfmt "$CPU")"

measure "$R" solve-q70-mid "$BIN" solve mid --palette "$PALETTE"
expect_rc solve-q70-mid 0
P=$(passes "$WALL" "$SUM_N2")
X=$(memx "$RSS" "$MAT_N2")
row 1 "1. solve $PALETTE (from the store, load included)" "$(commas "$N2") × $M" "$(tfmt "$WALL")" \
    "$(pcell "$WALL" "$CPU" "$SUM_N2")" "$(fmt "$X" %.2f)" "≤ 40 passes, ≤ 1.3× memory" "$(met "$P <= 40 && $X <= 1.3")" "optimal" "$(tfmt "$CPU")"

measure "$R" solve-zero "$BIN" solve big --palette "$AT_ZERO"
expect_rc solve-zero 0
LOAD=$WALL LOAD_CPU=$CPU
row 2 "load: solve $AT_ZERO (met at λ = 0: start + load)" "$(commas "$N") × $M" "$(tfmt "$WALL")" \
    "$(pcell "$WALL" "$CPU" "$SUM_N")" "$(fmt "$(memx "$RSS" "$MAT_N")" %.2f)" "—" "—" "optimal" "$(tfmt "$CPU")"

measure "$R" solve-num "$BIN" solve big --palette "$NUMERIC"
expect_rc solve-num 0
SOLVE_NUM=$WALL
P=$(passes "$(calc "$WALL - $LOAD")" "$SUM_N")
row 2 "2. solve $NUMERIC (numeric targets)" "$(commas "$N") × $M" "$(tfmt "$WALL")" \
    "load + $(fmt "$P" %.1f) (cpu: load + $(fmt "$(passes "$(calc "$CPU - $LOAD_CPU")" "$SUM_N")" %.1f))" "$(fmt "$(memx "$RSS" "$MAT_N")" %.2f)" "load + ≈ 10 passes" \
    "$(met "$P <= 10")" "optimal" "$(tfmt "$CPU")"

measure "$R" feasible "$BIN" feasible big --palette "$PALETTE"
expect_rc feasible 0
P=$(passes "$WALL" "$SUM_N")
row 3 "3. feasible $PALETTE" "$(commas "$N") × $M" "$(tfmt "$WALL")" "$(pcell "$WALL" "$CPU" "$SUM_N")" \
    "$(fmt "$(memx "$RSS" "$MAT_N")" %.2f)" "≤ 25 passes" "$(met "$P <= 25")" "attainable" "$(tfmt "$CPU")"

measure "$R" describe "$BIN" describe big
expect_rc describe 0
P=$(passes "$WALL" "$SUM_N")
row 4 "4. describe" "$(commas "$N") × $M" "$(tfmt "$WALL")" "$(pcell "$WALL" "$CPU" "$SUM_N")" \
    "$(fmt "$(memx "$RSS" "$MAT_N")" %.2f)" "≤ 10 passes" "$(met "$P <= 10")" "exit 0" "$(tfmt "$CPU")"

# ---- 8. the MAP reference procedure on the n x 6 matrix -----------------
say "MAP reference procedure (150 float32 Adam steps) at n = $N"
read -r REF_BIG _ REF_BIG_INF REF_BIG_CPU < <("$TOOLS/bench_map_adam" synth "$N" "$M" "$SEED" "$NUMERIC" 2>/dev/null) ||
    { echo "bench_cli.sh: bench_map_adam failed at n = $N" >&2; exit 1; }
row 8 "8. MAP reference procedure (C, float32, 150 Adam steps), $NUMERIC" "$(commas "$N") × $M" \
    "$(tfmt "$REF_BIG")" "$(pcell "$REF_BIG" "$REF_BIG_CPU" "$SUM_N")" "—" \
    "comparison: this / figure 2 = $(fmt "$(calc "$REF_BIG / $SOLVE_NUM")" %.2f)" "—" \
    "$([ "$REF_BIG_INF" -eq 0 ] && echo finished || echo "NaN: infeasible")" "$(tfmt "$REF_BIG_CPU")"

# The published procedure itself (PyTorch, one thread) when torch is installed.
TORCH=0
"$PY" -c 'import torch, numpy' 2>/dev/null && TORCH=1
if [ "$TORCH" -eq 1 ]; then
    say "MAP reference procedure in PyTorch at n = $N"
    "$TOOLS/bench_map_adam" dump "$N" "$M" "$SEED" "$WORK/big.f32"
    read -r REF_T _ REF_T_INF REF_T_CPU < <("$PY" "$HERE/map_reference_torch.py" raw "$WORK/big.f32" "$N" "$M" "$NUMERIC") ||
        { echo "bench_cli.sh: map_reference_torch.py failed at n = $N" >&2; exit 1; }
    rm -f "$WORK/big.f32"
    row 8 "8. MAP reference procedure (PyTorch, float32, 150 Adam steps, 1 thread), $NUMERIC" "$(commas "$N") × $M" \
        "$(tfmt "$REF_T")" "$(pcell "$REF_T" "$REF_T_CPU" "$SUM_N")" "—" \
        "comparison: this / figure 2 = $(fmt "$(calc "$REF_T / $SOLVE_NUM")" %.2f)" "—" \
        "$([ "$REF_T_INF" -eq 0 ] && echo finished || echo "NaN: infeasible")" "$(tfmt "$REF_T_CPU")"
fi

# ---- 6. per-prompt normalisation ------------------------------------------
say "per-prompt solve ($G_PROMPTS prompts × $G_PER samples × $G_M values)"
G_N=$((G_PROMPTS * G_PER))
measure 1 ingest-grouped "$BIN" ingest "$WORK/grouped.csv" --name grouped --prompt-column prompt
expect_rc ingest-grouped 0
measure 5 solve-global "$BIN" solve grouped --palette "$PALETTE"
expect_rc solve-global 0
GLOBAL=$WALL GLOBAL_CPU=$CPU
row 6 "6a. solve $PALETTE, global" "$(commas "$G_N") × $G_M" "$(tfmt "$WALL")" "1 (global)" \
    "$(fmt "$(memx "$RSS" $((G_N * G_M * 8)))" %.2f)" "—" "—" "optimal" "$(tfmt "$CPU")"
measure "$R" solve-prompt "$BIN" solve grouped --palette "$PALETTE" --normalize prompt
expect_rc solve-prompt 0
P=$(calc "$WALL / $GLOBAL")
row 6 "6b. solve $PALETTE --normalize prompt" "$(commas "$G_N") × $G_M" "$(tfmt "$WALL")" \
    "$(fmt "$P" %.1f)× global (cpu $(fmt "$(calc "$CPU / $GLOBAL_CPU")" %.1f)×)" "$(fmt "$(memx "$RSS" $((G_N * G_M * 8)))" %.2f)" "≤ 3× global" \
    "$(met "$P <= 3")" "optimal" "$(tfmt "$CPU")"

# ---- 5. sweeps on the real data against the reference ----------------------
say "sweeps on $(basename "$REAL_CSV") against the MAP reference procedure"
measure 1 ingest-real "$BIN" ingest "$REAL_CSV" --name real --prompt-column prompt --text-columns generated
expect_rc ingest-real 0
measure 1 ingest-values "$BIN" ingest "$REAL_CSV" --name real_values --values "$V6"
expect_rc ingest-values 0
"$BIN" export real_values --out "$WORK/real.csv"
REAL_N=$(($(wc -l <"$WORK/real.csv") - 1))
for vals in "$V3" "$V6"; do
    k=$(awk -F, '{ print NF }' <<<"$vals")
    "$TOOLS/bench_gen" palettes "$WORK/real.csv" "$PALETTES" "$SEED" "$vals" >"$WORK/pal$k.csv"
    measure "$R" "sweep$k" "$BIN" sweep real --palettes "$WORK/pal$k.csv" --threads 1 --out "$WORK/sweep$k.csv"
    expect_rc "sweep$k" 0
    per=$(calc "$WALL / $PALETTES")
    optimal=$(awk -F, 'NR > 1 && $2 == "optimal"' "$WORK/sweep$k.csv" | wc -l)
    read -r ref _ ref_inf ref_cpu < <("$TOOLS/bench_map_adam" data "$WORK/real.csv" "$WORK/pal$k.csv" 2>/dev/null) ||
        { echo "bench_cli.sh: bench_map_adam failed on $vals" >&2; exit 1; }
    ratio=$(calc "$ref / $per")
    row 5 "5. sweep --palettes ($PALETTES conservative, --threads 1), per palette" "$(commas "$REAL_N") × $k" \
        "$(tfmt "$per")" "—" "—" "—" "—" "$optimal of $PALETTES optimal" "$(tfmt "$(calc "$CPU / $PALETTES")")"
    # The same without the start and the load: (T(all) - T(first palette)) / (all - 1).
    head -n 2 "$WORK/pal$k.csv" >"$WORK/pal$k-1.csv"
    total=$WALL total_cpu=$CPU
    measure "$R" "sweep$k-1" "$BIN" sweep real --palettes "$WORK/pal$k-1.csv" --threads 1 --out "$WORK/sweep$k-1.csv"
    expect_rc "sweep$k-1" 0
    marginal=$(calc "($total - $WALL) / ($PALETTES - 1)")
    row 5 "5. the same, start and load excluded: (T($PALETTES) − T(1)) / $((PALETTES - 1))" \
        "$(commas "$REAL_N") × $k" "$(tfmt "$marginal")" "—" "—" "—" "—" \
        "$(fmt "$(calc "$ref / $marginal")" %.1f)× faster than the reference" \
        "$(tfmt "$(calc "($total_cpu - $CPU) / ($PALETTES - 1)")")"
    row 5 "5. MAP reference procedure (C, float32, 150 Adam steps), per palette" "$(commas "$REAL_N") × $k" \
        "$(tfmt "$ref")" "—" "—" "—" \
        "mapsolve $(fmt "$ratio" %.1f)× faster" "$ref_inf of $PALETTES NaN (infeasible)" "$(tfmt "$ref_cpu")"
    if [ "$TORCH" -eq 1 ]; then
        read -r tref _ tref_inf tref_cpu < <("$PY" "$HERE/map_reference_torch.py" "$WORK/real.csv" "$WORK/pal$k.csv" "$TORCH_PALETTES") ||
            { echo "bench_cli.sh: map_reference_torch.py failed on $vals" >&2; exit 1; }
        tratio=$(calc "$tref / $per")
        row 5 "5. MAP reference procedure (PyTorch, float32, 150 Adam steps, 1 thread), per palette ($TORCH_PALETTES palettes)" \
            "$(commas "$REAL_N") × $k" "$(tfmt "$tref")" "—" "—" "mapsolve ≥ 500× faster" \
            "$(met "$tratio >= 500") ($(fmt "$tratio" %.1f)×)" "$tref_inf of $TORCH_PALETTES NaN (infeasible)" "$(tfmt "$tref_cpu")"
    fi
done

# ---- the table ------------------------------------------------------------
CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "### mapsolve benchmark$([ "$QUICK" -eq 1 ] && echo " (--quick)")"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); nproc: $(nproc); CPU: ${CPU_MODEL:-unknown}; load average at the start: $LOAD_START, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
REV=$(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "- binary: $BIN (source $REV); n = $(commas "$N"), second solve at n/5, $PALETTES sweep palettes"
echo "- time: wall time of the whole process, best of $R (ingest: one run); cpu: user + system time of"
echo "  that child; peak memory: the child's ru_maxrss over the matrix size n·m·8 bytes; passes: time"
echo "  over one single-threaded summation pass over the n × 6 doubles in memory (best of 20), measured in"
echo "  the same run, and in brackets CPU time over the same pass (steadier when the machine is shared)."
echo "- the MAP reference procedure runs as published (tests/bench/map_reference_torch.py: PyTorch, float32,"
echo "  150 Adam steps, one thread; the goal's yardstick) when python3-torch is installed, and as a C"
echo "  re-implementation (one fused pass per step, no interpreter): a lower bound on any implementation's time."
echo
echo "| figure | n × m | time | cpu | passes | peak memory × matrix | goal | met | outcome |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}" | sort -t "$(printf '\t')" -s -n -k1,1 | cut -f2-

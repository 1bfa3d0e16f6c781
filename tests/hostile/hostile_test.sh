#!/usr/bin/env bash
# hostile_test.sh — mapsolve fed what other people's pipelines produce and
# run where nobody watches: odd names, extreme numbers, broken files, huge
# lines and headers, oversized palettes, unusable databases. Each case checks
# the documented exit code, that the message names the problem, that the
# process did not crash, and that the store is unchanged (the same SQL dump,
# a clean integrity check). Names with SQL text, quotes, semicolons and
# non-ASCII letters must work as names.
#
# Environment: MAPSOLVE_BIN (the binary). Needs jq and sqlite3 (the store
# comparisons are by SQL dump). Runs setpriv (util-linux) to test a
# read-only directory when run as root. Prints "N passed, M failed" last
# (known bugs, reported elsewhere, are listed as KNOWN and not counted).
set -u

BIN=${MAPSOLVE_BIN:?set MAPSOLVE_BIN to the mapsolve binary}
. "$(dirname "$0")/../lib.sh"
need jq sqlite3 sha256sum
make_work hostile
cleanup_hook() { chmod -R u+w "$WORK" 2>/dev/null; }

# ---------------------------------------------------------------- set-up
CASE=setup
{
    echo 'helpful,harmless,humor'
    for i in $(seq 0 39); do
        echo "$(((i * 37) % 11)).$((i % 10)),$(((i * 13) % 7)).25,$((i % 5))"
    done
} >"$WORK/base.csv"
run ingest "$WORK/base.csv" --name base --db "$DB"
check "the base dataset ingests" rc_is 0
run solve base --palette helpful=q60,harmless=mean --json --db "$DB"
check "the base dataset solves" rc_is 0
cp "$OUT" "$WORK/base-solve.json"
BASE_STATE=$(state "$DB")

# ---------------------------------------------------------------- dataset names
# Quotes, semicolons, SQL text, non-ASCII letters and printf directives are
# names like any other: stored, listed, described, solved and removed.
CASE="dataset names"
names=(
    "it's \"quoted\""
    "semi;colon;"
    "x'); DROP TABLE datasets; --"
    "Robert\"); DELETE FROM datasets; --"
    "' OR '1'='1"
    "naïve-日本語-Ωmega"
    "%s%n%x"
    "--looks-like-an-option"
)
for name in "${names[@]}"; do
    run ingest "$WORK/base.csv" --name="$name" --db "$DB"
    check "ingest '$name': exit 0" rc_is 0
    run datasets --json --db "$DB"
    check "'$name' is listed as given" jqo 'any(.[]; .name == $n) and any(.[]; .name == "base") and length == 2' --arg n "$name"
    # Options first and `--` before the name: one of them looks like an option.
    run describe --json --db "$DB" -- "$name"
    check "describe '$name'" jqo '.dataset == $n and .n == 40' --arg n "$name"
    run solve --palette helpful=q60,harmless=mean --json --db "$DB" -- "$name"
    check "solve '$name': the same answer as on base" jqo '.status == "optimal" and [.values[].lambda] == [$b[0].values[].lambda]' --slurpfile b "$WORK/base-solve.json"
    run remove --db "$DB" -- "$name"
    check "remove '$name'" rc_is 0
    check "the store is back to base" [ "$(state "$DB")" = "$BASE_STATE" ]
done
check "integrity after the odd names" integrity_ok "$DB"
# Control characters cannot be dataset names (they would break listings).
expect_bad 2 "control character" ingest "$WORK/base.csv" --name "$(printf 'line\nbreak')"
expect_bad 2 "control character" ingest "$WORK/base.csv" --name "$(printf 'tab\there')"
expect_bad 2 "control character" ingest "$WORK/base.csv" --name "$(printf 'cr\rhere')"
expect_bad 2 "201 bytes|at most 200" ingest "$WORK/base.csv" --name "$(printf 'n%.0s' $(seq 201))"
expect_bad 2 "no dataset named|base'; DROP TABLE datasets; --" describe "base'; DROP TABLE datasets; --"
expect_bad 2 "no dataset named" solve "base\" OR 1=1 --" --palette helpful=1
expect_bad 2 "no dataset named" remove "%' OR name LIKE '%"

# ---------------------------------------------------------------- value names
# Value (column) names with the same characters, and a newline, from CSV and
# JSON, usable in palettes.
CASE="value names"
{
    cat <<'EOF'
"it's ""q""","semi;colon","x'); DROP TABLE datasets;--","naïve Ωmega","line
break"
EOF
    for i in $(seq 0 19); do echo "$((i % 7)),$(((i * 3) % 5)),$((i % 4)),$(((i * 7) % 9)),$((i % 3))"; done
} >"$WORK/names.csv"
VNAMES=$(cat <<'EOF'
["it's \"q\"","semi;colon","x'); DROP TABLE datasets;--","naïve Ωmega","line\nbreak"]
EOF
)
jq -n --argjson names "$VNAMES" '[range(20) as $i | [$names, [$i % 7, ($i * 3) % 5, $i % 4, ($i * 7) % 9, $i % 3]] | transpose | map({(.[0]): .[1]}) | add]' >"$WORK/names.json"
for f in names.csv names.json; do
    run ingest "$WORK/$f" --name odd --replace --db "$DB"
    check "$f: exit 0" rc_is 0
    run describe odd --json --db "$DB"
    check "$f: the names as written" jqo '[.values[].name] == $v' --argjson v "$VNAMES"
    run solve odd --palette "x'); DROP TABLE datasets;--=q70,naïve Ωmega=mean,$(printf 'line\nbreak')=mean,semi;colon=1" --json --db "$DB"
    check "$f: a palette over those names solves" jqo '.status == "optimal" and (.values | length) == 4 and .values[0].name == "x'"'"'); DROP TABLE datasets;--"'
done
run remove odd --db "$DB"
check "the store is back to base after the odd values" [ "$(state "$DB")" = "$BASE_STATE" ]

# ---------------------------------------------------------------- numbers
# 1e308, -0 and subnormals are numbers; 1e-400 underflows to 0 (documented);
# 1e309 is not finite and is an error naming the cell.
CASE=numbers
printf 'a,b\n1e308,-0\n-1e308,4.9406564584124654e-324\n0,1e-400\n1,2.2250738585072014e-308\n2,1\n' >"$WORK/extreme.csv"
run ingest "$WORK/extreme.csv" --name extreme --db "$DB"
check "extreme numbers ingest" rc_is 0
run describe extreme --json --db "$DB"
check "1e308 and -1e308 kept exactly" jqo '.values[0].max == 1e308 and .values[0].min == -1e308'
check "subnormal, -0 and 1e-400 (as 0) kept" jqo '.values[1].min == 0 and .values[1].max == 1 and .values[1].q25 == 0'
check "describe: mean and sd of a column with values near DBL_MAX (no overflow)" jqo '((.values[0].mean - 0.6) | fabs) < 1e-9 and ((.values[0].sd / 6.324555320336759e307 - 1) | fabs) < 1e-12'
run solve extreme --palette b=q90 --json --db "$DB"
check "solve on tiny numbers: a verdict" rc_in 0 1
check "solve on tiny numbers: no crash" no_crash
run solve extreme --palette a=1 --db "$DB"
check "solve on values near DBL_MAX: a verdict" rc_in 0 1
check "solve on values near DBL_MAX: no crash" no_crash
run remove extreme --db "$DB"
printf 'a,b\n1,2\n1e309,3\n' >"$WORK/overflow.csv"
expect_bad 3 "overflow.csv|line 3, column 1|not a finite decimal number|1e309" ingest "$WORK/overflow.csv" --name t
printf 'a,b\n1,2\n3,-1e309\n' >"$WORK/overflow2.csv"
expect_bad 3 "overflow2.csv|line 3, column 2" ingest "$WORK/overflow2.csv" --name t
printf '[{"a": 1, "b": 2}, {"a": 1e400, "b": 3}]\n' >"$WORK/overflow.json"
expect_bad 3 "overflow.json|line 1, column" ingest "$WORK/overflow.json" --name t
printf '[{"a": 1, "b": %s}]\n' "$(printf '1%.0s' $(seq 300))" >"$WORK/longnum.json"
expect_bad 3 "longnum.json|longer than 256 bytes" ingest "$WORK/longnum.json" --name t
# Targets: 1e308 is refuted with a certificate, -0 and 1e-400 are 0, 1e309 is
# not a number.
run solve base --palette helpful=1e308 --json --db "$DB"
check "target 1e308: infeasible, exit 1" rc_is 1
check "target 1e308: a certificate" jqo '.status == "infeasible" and .certificate.gap > 0'
run solve base --palette helpful=-0,harmless=1e-400 --json --db "$DB"
check "targets -0 and 1e-400: optimal" rc_is 0
check "targets -0 and 1e-400: read as 0" jqo '.values[0].target == 0 and .values[1].target == 0'
run solve base --palette helpful=4.9e-324 --json --db "$DB"
check "a subnormal target: optimal" jqo '.status == "optimal" and .values[0].target > 0'
expect_bad 3 "'1e309'|'helpful'" solve base --palette helpful=1e309
expect_bad 3 "'-1e999'" solve base --palette helpful=-1e999
expect_bad 3 "'q1e400'|percentile" solve base --palette helpful=q1e400

# ---------------------------------------------------------------- file content
CASE="file content"
printf 'a,b\n1,2\n3,4\n5,7\n' >"$WORK/lf.csv"
printf '\xef\xbb\xbfa,b\n1,2\n3,4\n5,7\n' >"$WORK/bom.csv"
printf 'a,b\r\n1,2\r\n3,4\r\n5,7\r\n' >"$WORK/crlf.csv"
printf 'a,b\r1,2\r3,4\r5,7' >"$WORK/cr.csv"
printf 'a,b\r\n1,2\n\n3,4\r5,7\r\n\r\n' >"$WORK/mixed.csv"
run ingest "$WORK/lf.csv" --name lf --db "$DB"
run describe lf --json --db "$DB"
jq -c '.values' "$OUT" >"$WORK/lf.values"
for f in bom crlf cr mixed; do
    run ingest "$WORK/$f.csv" --name "$f" --db "$DB"
    check "$f: exit 0" rc_is 0
    check "$f: 3 samples x 2 values (a, b)" err_has "ingested $f: 3 samples x 2 values (a, b)"
    run describe "$f" --json --db "$DB"
    check "$f: the same values as with LF" jqo '.values == $lf[0]' --slurpfile lf "$WORK/lf.values"
    run remove "$f" --db "$DB"
done
printf '{"a": 1, "b": 2}\r\n\r\n{"a": 3, "b": 4}\n{"a": 5, "b": 7}' >"$WORK/crlf.jsonl"
run ingest "$WORK/crlf.jsonl" --name jl --db "$DB"
check "JSON Lines with CRLF and a blank line: exit 0" rc_is 0
run describe jl --json --db "$DB"
check "JSON Lines with CRLF: the same values" jqo '.values == $lf[0]' --slurpfile lf "$WORK/lf.values"
printf '\xef\xbb\xbf[{"a": 1, "b": 2}, {"a": 3, "b": 4}, {"a": 5, "b": 7}]' >"$WORK/bom.json"
run ingest "$WORK/bom.json" --name bj --db "$DB"
check "JSON with a BOM: exit 0" rc_is 0
run describe bj --json --db "$DB"
check "JSON with a BOM: the same values" jqo '.values == $lf[0]' --slurpfile lf "$WORK/lf.values"
run remove jl --db "$DB"
run remove bj --db "$DB"
run remove lf --db "$DB"
check "the store is back to base" [ "$(state "$DB")" = "$BASE_STATE" ]

printf 'a,b\n1,2\n3,\0004\n' >"$WORK/nul.csv"
expect_bad 3 "nul.csv|line 3, column 2|NUL byte" ingest "$WORK/nul.csv" --name t
printf 'a,b\0\n1,2\n' >"$WORK/nulhdr.csv"
expect_bad 3 "nulhdr.csv|line 1|NUL byte" ingest "$WORK/nulhdr.csv" --name t
printf '[{"a": 1, "b": 2},\n {"a": 3,\000 "b": 4}]' >"$WORK/nul.json"
expect_bad 3 "nul.json|line 2, column 10|NUL byte" ingest "$WORK/nul.json" --name t
printf '{"a": 1, "b": 2}\n{"a": 3, "b": 4, "t": "x\\u0000y"}\n' >"$WORK/nulesc.jsonl"
expect_bad 3 "nulesc.jsonl|line 2" ingest "$WORK/nulesc.jsonl" --name t
printf '[{"a": 1, "b": 2, "t": "tab\there"}]' >"$WORK/ctrl.json"
expect_bad 3 "ctrl.json|line 1, column 28|control character 0x09" ingest "$WORK/ctrl.json" --name t --values a,b --text-columns t
printf 'a,b\n1,"2\n' >"$WORK/unclosed.csv"
expect_bad 3 "unclosed.csv|not closed" ingest "$WORK/unclosed.csv" --name t
head -c 4096 /dev/urandom >"$WORK/random.csv"
run ingest "$WORK/random.csv" --name t --db "$DB"
check "random bytes: exit 3" rc_is 3
check "random bytes: named" err_has "random.csv"

# ---------------------------------------------------------------- limits
CASE=limits
{
    echo 'a,t'
    echo '1,short'
    printf '2,%s\n' "$(head -c 2000 /dev/zero | tr '\0' x)"
} >"$WORK/longfield.csv"
expect_bad 3 "longfield.csv|line 3, column 2|max_field_bytes|1000 bytes" ingest "$WORK/longfield.csv" --name t --text-columns t --max-field-bytes 1000
{
    echo '{"a": 1}'
    printf '{"a": 2, "t": "%s"}\n' "$(head -c 2000 /dev/zero | tr '\0' x)"
} >"$WORK/longline.jsonl"
expect_bad 3 "longline.jsonl|line 2|max_json_bytes|1000 bytes" ingest "$WORK/longline.jsonl" --name t --values a --max-json-bytes 1000
expect_bad 3 "max_rows|more than 10 data rows|line 12" ingest "$WORK/base.csv" --name t --max-rows 10
expect_bad 3 "max_values|more than the limit of 2" ingest "$WORK/base.csv" --name t --max-values 2
# A real line of 100 MB (one field) against the default 64 MiB field limit;
# the reader stops at the limit, it does not hold the line.
{
    echo 'a,t'
    printf '1,'
    head -c 100000000 /dev/zero | tr '\0' x
    echo
} >"$WORK/huge.csv"
expect_bad 3 "huge.csv|line 2, column 2|67108864 bytes|max_field_bytes" ingest "$WORK/huge.csv" --name t --text-columns t
# A line that never ends, from a pipe: the reader must stop at the limit by
# itself (a reader that held the line, or waited for its end, would never
# return; the test's own time limit is only the backstop).
before=$(state "$DB")
{ echo 'a,t'; printf '1,'; yes x | tr -d '\n'; } 2>/dev/null |
    "$BIN" ingest - --name t --text-columns t --db "$DB" >"$OUT" 2>"$ERR"
RC=${PIPESTATUS[1]}
check "an endless line from a pipe: exit status 3" rc_is 3
for f in "<stdin>" "line 2, column 2" "67108864 bytes"; do
    check "an endless line from a pipe: stderr names '$f'" err_has "$f"
done
check "an endless line from a pipe: store unchanged" [ "$before" = "$(state "$DB")" ]
# The same line without a line break, as a header.
head -c 100000000 /dev/zero | tr '\0' y >"$WORK/huge-header.csv"
expect_bad 3 "huge-header.csv|line 1, column 1|max_field_bytes" ingest "$WORK/huge-header.csv" --name t
rm -f "$WORK/huge.csv" "$WORK/huge-header.csv"
# 100,000 columns: refused by default (4096), accepted when raised.
awk 'BEGIN { for (r = 0; r < 3; r++) { for (i = 0; i < 100000; i++) printf "%s%s", (i ? "," : ""), (r ? i % 7 + r : "c" i); printf "\n" } }' >"$WORK/wide.csv"
expect_bad 3 "wide.csv|line 1|more than 4096 columns|--max-columns" ingest "$WORK/wide.csv" --name t
run ingest "$WORK/wide.csv" --name wide --max-columns 100000 --values c5,c99999 --db "$DB"
check "100,000 columns with --max-columns 100000: exit 0" rc_is 0
check "100,000 columns: the two values chosen" err_has "ingested wide: 2 samples x 2 values (c5, c99999)"
expect_bad 3 "wide.csv|100000 value columns|max_values" ingest "$WORK/wide.csv" --name t --max-columns 100000
run remove wide --db "$DB"
awk 'BEGIN { printf "[{"; for (i = 0; i < 100000; i++) printf "%s\"k%d\": %d", (i ? ", " : ""), i, i; print "}]" }' >"$WORK/wide.json"
expect_bad 3 "wide.json|record 1|100000 keys|max_columns" ingest "$WORK/wide.json" --name t

# ---------------------------------------------------------------- palettes
CASE=palettes
pal=$(awk 'BEGIN { for (i = 0; i < 10000; i++) printf "%sv%d=%d", (i ? "," : ""), i, i % 3 }')
expect_bad 3 "palette|10000 items|at most 64" solve base --palette "$pal"
expect_bad 3 "palette|10000 items" feasible base --palette "$pal"
expect_bad 3 "palette|10000 items" adjust base --palette "$pal"
pal=$(awk 'BEGIN { for (i = 0; i < 65; i++) printf "%sv%d=1", (i ? "," : ""), i }')
expect_bad 3 "65 items" solve base --palette "$pal"
expect_bad 3 "palette|no value 'helpful; DROP TABLE datasets'" solve base --palette "helpful; DROP TABLE datasets=1"
expect_bad 3 "palette|item 1" solve base --palette "$(printf 'helpful\n1')"

# ---------------------------------------------------------------- databases
CASE="missing directory"
run ingest "$WORK/base.csv" --name t --db "$WORK/no/such/dir/x.db"
check "exit 4" rc_is 4
check "the path is named" err_has "$WORK/no/such/dir/x.db"
check "no directory created" [ ! -e "$WORK/no" ]
run solve t --palette helpful=1 --db "$WORK/no/such/dir/x.db"
check "solve on a missing directory: exit 2 (no such dataset)" rc_is 2

CASE="read-only directory"
RO=$WORK/ro
mkdir -p "$RO"
cp "$DB" "$RO/main.db"
# Runs the binary as a user that cannot write $RO: "nobody" when we are root.
as_reader() { "$BIN" "$@"; }
if [ "$(id -u)" -eq 0 ]; then
    chmod 755 "$WORK"
    chmod 644 "$RO/main.db" "$WORK/base.csv"
    # Only if nobody can run the binary (every directory above it searchable).
    if command -v setpriv >/dev/null 2>&1 &&
        setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" --version >/dev/null 2>&1; then
        as_reader() { setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" "$@"; }
    else
        as_reader() { return 99; }
    fi
fi
chmod 555 "$RO"
ro_before=$(file_sum "$RO/main.db")
as_reader ingest "$WORK/base.csv" --name t --db "$RO/new.db" >"$OUT" 2>"$ERR"
RC=$?
if [ "$RC" -eq 99 ]; then
    echo "SKIP [$CASE] running as root, and setpriv cannot run the binary as nobody" >&2
else
    check "a new database in a read-only directory: exit 4" rc_is 4
    check "the path is named" err_has "$RO/new.db"
    check "nothing created" [ ! -e "$RO/new.db" ]
    as_reader ingest "$WORK/base.csv" --name t --db "$RO/main.db" >"$OUT" 2>"$ERR"
    RC=$?
    check "ingest into a database in a read-only directory: exit 4" rc_is 4
    check "the message starts with 'mapsolve: '" err_starts
    as_reader solve base --palette helpful=q60,harmless=mean --json --db "$RO/main.db" >"$OUT" 2>"$ERR"
    RC=$?
    check "solve from a read-only directory: exit 0 (read as immutable)" rc_is 0
    [ "$RC" -eq 0 ] && check "solve from a read-only directory: the base answer" jqo '[.values[].lambda] == [$b[0].values[].lambda]' --slurpfile b "$WORK/base-solve.json"
    check "the database file is unchanged" [ "$(file_sum "$RO/main.db")" = "$ro_before" ]
fi
chmod 755 "$RO"

CASE="read-only database file"
cp "$DB" "$WORK/rofile.db"
chmod 444 "$WORK/rofile.db"
rof_before=$(file_sum "$WORK/rofile.db")
as_reader --version >/dev/null 2>&1
if [ $? -ne 99 ]; then
    as_reader ingest "$WORK/base.csv" --name t --db "$WORK/rofile.db" >"$OUT" 2>"$ERR"
    RC=$?
    check "ingest into a read-only database file: exit 4" rc_is 4
    check "the path is named" err_has "rofile.db"
    as_reader remove base --db "$WORK/rofile.db" >"$OUT" 2>"$ERR"
    RC=$?
    check "remove from a read-only database file: exit 4" rc_is 4
    check "the database file is unchanged" [ "$(file_sum "$WORK/rofile.db")" = "$rof_before" ]
fi

CASE="not a database"
printf 'this is not a database, just some text that is long enough to be looked at\n' >"$WORK/junk.db"
head -c 65536 /dev/urandom >"$WORK/random.db"
printf 'SQLite format 3\000' >"$WORK/header-only.db"
head -c 8192 /dev/urandom >>"$WORK/header-only.db"
for f in junk random header-only; do
    sum=$(file_sum "$WORK/$f.db")
    for cmd in "datasets" "describe base" "solve base --palette helpful=1" "feasible base --palette helpful=1" "remove base" "ingest $WORK/base.csv --name t"; do
        # shellcheck disable=SC2086
        run $cmd --db "$WORK/$f.db"
        check "$f: $cmd: exit 4" rc_is 4
        check "$f: $cmd: the file is named" err_has "$f.db"
        check "$f: $cmd: nothing on stdout" out_empty
    done
    check "$f: the file is unchanged" [ "$(file_sum "$WORK/$f.db")" = "$sum" ]
done

CASE="corrupt database"
cp "$DB" "$WORK/corrupt.db"
sqlite3 "$WORK/corrupt.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null 2>&1
size=$(stat -c %s "$WORK/corrupt.db")
# 0xff bytes: wherever they land in a matrix BLOB they read as NaN.
head -c 2048 /dev/zero | tr '\0' '\377' | dd of="$WORK/corrupt.db" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
for cmd in "datasets" "describe base" "solve base --palette helpful=1" "remove base" "ingest $WORK/base.csv --name t"; do
    # shellcheck disable=SC2086
    run $cmd --db "$WORK/corrupt.db"
    check "corrupt: $cmd: a documented exit status" no_crash
    [ "$RC" -ne 0 ] && check "corrupt: $cmd: a message" err_starts
done

CASE="newer schema"
cp "$DB" "$WORK/newer.db"
sqlite3 "$WORK/newer.db" 'PRAGMA user_version = 99' || FAIL=$((FAIL + 1))
sum=$(file_sum "$WORK/newer.db")
for cmd in "datasets" "describe base" "solve base --palette helpful=1" "feasible base --palette helpful=1" "adjust base --palette helpful=1" "frontier base --values helpful,harmless" "region base --values helpful,harmless" "remove base" "ingest $WORK/base.csv --name t"; do
    # shellcheck disable=SC2086
    run $cmd --db "$WORK/newer.db"
    check "newer: $cmd: exit 4" rc_is 4
    check "newer: $cmd: says the schema is newer" err_has "schema version 99 is newer"
    check "newer: $cmd: nothing on stdout" out_empty
done
check "newer: the file is unchanged" [ "$(file_sum "$WORK/newer.db")" = "$sum" ]

# ---------------------------------------------------------------- final
CASE=final
check "the store holds the base dataset alone, as set up" [ "$(state "$DB")" = "$BASE_STATE" ]
check "integrity" integrity_ok "$DB"

finish

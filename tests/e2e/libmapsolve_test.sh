#!/usr/bin/env bash
# libmapsolve_test.sh — the installed C library as a user sees it:
#   1. `meson install --destdir` of the current build into a scratch folder;
#   2. the installed tree holds the header, the shared library, mapsolve.pc,
#      the man page and the executable, and no internal header;
#   3. the README's example program (between the libmapsolve-example marker
#      comments of README.md, so the two cannot drift) is compiled with
#      `$CC prog.c $(pkg-config --cflags --libs mapsolve)` (PKG_CONFIG_PATH
#      and PKG_CONFIG_SYSROOT_DIR pointing into the destdir) and run with
#      LD_LIBRARY_PATH;
#   4. its verdict is optimal and its λ equal `mapsolve solve --json` on the
#      same data (ingested from a CSV written here) within 1e-12 relative.
# Environment (set by tests/meson.build): MAP_BUILD (build root), MAP_SOURCE,
# MAPSOLVE_BIN, MAP_PREFIX, MAP_LIBDIR, MAP_CC (the compiler command),
# MAP_EXTRA_CFLAGS (the build's sanitizer flags), MESON (meson's command).
set -euo pipefail

fail() { echo "libmapsolve: FAIL: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
for tool in jq pkg-config; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is required"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/libmapsolve.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DEST="$WORK/dest"

# 1. install
# shellcheck disable=SC2086
$MESON install -C "$MAP_BUILD" --no-rebuild --quiet --destdir "$DEST" >"$WORK/install.log" 2>&1 ||
    { cat "$WORK/install.log" >&2; fail "meson install --destdir"; }

# 2. the installed files
case "$MAP_LIBDIR" in /*) LIBDIR="$MAP_LIBDIR" ;; *) LIBDIR="$MAP_PREFIX/$MAP_LIBDIR" ;; esac
ROOT="$DEST$MAP_PREFIX"
for f in include/mapsolve.h bin/mapsolve share/man/man1/mapsolve.1; do
    [ -f "$ROOT/$f" ] || fail "not installed: $MAP_PREFIX/$f"
done
[ -f "$DEST$LIBDIR/pkgconfig/mapsolve.pc" ] || fail "not installed: $LIBDIR/pkgconfig/mapsolve.pc"
ls "$DEST$LIBDIR"/libmapsolve.so.* >/dev/null 2>&1 || fail "not installed: $LIBDIR/libmapsolve.so.*"
if find "$DEST" -name 'map_*.h' | grep -q .; then fail "an internal header was installed"; fi

# 3. the README's example, built against the installed tree only
sed -n '/<!-- libmapsolve-example:begin -->/,/<!-- libmapsolve-example:end -->/p' \
    "$MAP_SOURCE/README.md" | sed '/^<!--/d; /^```/d' >"$WORK/example.c"
grep -q '#include <mapsolve.h>' "$WORK/example.c" || fail "no example between the README's markers"
export PKG_CONFIG_PATH="$DEST$LIBDIR/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$DEST"
FLAGS=$(pkg-config --cflags --libs mapsolve) || fail "pkg-config --cflags --libs mapsolve"
case "$FLAGS" in *"$DEST"*) ;; *) fail "pkg-config flags do not point into the destdir: $FLAGS" ;; esac
# shellcheck disable=SC2086
$MAP_CC -std=c17 -Wall -Wextra -pedantic -Werror $MAP_EXTRA_CFLAGS "$WORK/example.c" -o "$WORK/example" \
    $FLAGS 2>"$WORK/cc.log" || { cat "$WORK/cc.log" >&2; fail "the README example does not compile"; }
LD_LIBRARY_PATH="$DEST$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$WORK/example" >"$WORK/example.out" ||
    { cat "$WORK/example.out" >&2; fail "the README example exited $?"; }
cat "$WORK/example.out"
grep -qx 'verdict optimal' "$WORK/example.out" || fail "verdict is not optimal"
grep -q '^libmapsolve [0-9]' "$WORK/example.out" || fail "no version line"

# 4. the same data through the command line
printf 'helpful,harmless\n0.1,0.6\n0.4,0.6\n0.9,0.5\n0.3,0.8\n0.7,0.6\n0.2,0.7\n0.8,0.4\n0.5,0.9\n' >"$WORK/d.csv"
"$MAPSOLVE_BIN" ingest "$WORK/d.csv" --name ex --db "$WORK/t.db" >/dev/null 2>&1 || fail "ingest"
"$MAPSOLVE_BIN" solve ex --palette helpful=0.6,harmless=mean --json --db "$WORK/t.db" \
    >"$WORK/solve.json" || fail "mapsolve solve exited $?"
[ "$(jq -r .status "$WORK/solve.json")" = optimal ] || fail "mapsolve solve: not optimal"
n=0
while read -r _ name lam; do
    cli=$(jq -r --arg v "$name" '.values[] | select(.name == $v) | .lambda' "$WORK/solve.json")
    [ -n "$cli" ] || fail "mapsolve solve has no value $name"
    jq -en --argjson a "$lam" --argjson b "$cli" \
        '(($a - $b) | fabs) <= 1e-12 * ([($a | fabs), ($b | fabs), 1e-300] | max)' >/dev/null ||
        fail "λ $name: library $lam, command $cli"
    n=$((n + 1))
done < <(grep '^lambda ' "$WORK/example.out")
[ "$n" -eq "$(jq '.values | length' "$WORK/solve.json")" ] || fail "the example printed $n λ"
echo "1 passed, 0 failed"
